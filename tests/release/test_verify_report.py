"""What `verify` says of a failing bundle lets a reader see the difference: the changed words,
the keys and values of a record, German words for the English a record stores, and a
machine-readable result whose exit code tells a failing bundle from a mistaken call."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import VerifyError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import text
from gemeingut.release.manifest import MANIFEST
from gemeingut.release.verify import verify_bundle


def _edit(bundle: Path, rel: str, old: str, new: str) -> None:
    """Replace `old` by `new` in one file and rewrite its MANIFEST line, as a forger would."""
    path = bundle / rel
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new), encoding="utf-8")
    lines = [line.split("  ", 1) for line in (bundle / MANIFEST).read_text().splitlines()]
    rewritten = [f"{sha256_file(bundle / p) if p == rel else h}  {p}\n" for h, p in lines]
    (bundle / MANIFEST).write_text("".join(rewritten), encoding="utf-8")


def _problems(bundle: Path) -> list[str]:
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    lines = text(caught.value.message).splitlines()[1:]
    return [line.removeprefix("  – ") for line in lines if line.startswith("  – ")]


def test_a_changed_word_of_the_card_is_shown_in_its_context(bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    [sentence] = [line for line in card.splitlines() if "Model Openness Framework: " in line]
    assert sentence.index("Framework: ") > 80  # past what a value cut at its start shows
    _edit(bundle, "README.md", "Framework: ", "Framework: X ")
    [line] = [p for p in _problems(bundle) if p.startswith("README.md weicht von dem ab")]
    shipped, rendered = line.split(" ≠ ")
    assert "Framework: X " in shipped and "Framework: " in rendered, line  # the changed words
    assert "Framework: X" not in rendered


def test_a_licence_edited_in_openness_json_and_mof_yml_is_named_with_its_values(
    bundle: Path,
) -> None:
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    weights = rating["licenses"]["weights"]
    _edit(bundle, "openness.json", f'"weights": "{weights}"', '"weights": "MIT"')
    _edit(bundle, "mof.yml", f"name: {weights}", "name: MIT")
    problems = _problems(bundle)
    assert (
        "openness.json: die Lizenz der Gewichte ist „MIT“; aus den Dateien des Pakets neu "
        f"berechnet: „{weights}“ (licenses.weights); sie legt die Bedingungen jeder Nutzung fest"
    ) in problems, problems
    [mof] = [p for p in problems if p.startswith("mof.yml: die Lizenz der Gewichte")]
    assert f"ist „MIT“; aus den Dateien des Pakets neu berechnet: „{weights}“" in mof, mof
    assert "(release.license.distribution.name)" in mof, mof


def test_a_stored_english_detail_is_quoted_in_german(bundle: Path) -> None:
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    [code] = [c for c in rating["checks"] if c["id"] == "licence.code"]
    _edit(
        bundle, "openness.json", f'"detail": "{code["detail"]}"', '"detail": "MIT is OSI-approved"'
    )
    [line] = [p for p in _problems(bundle) if "(licence.code)" in p]
    assert "sagt bestanden (MIT ist von der OSI anerkannt)" in line, line
    assert "is OSI-approved" not in line


def test_verify_json_and_its_exit_codes(bundle: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    passed = runner.invoke(app, ["verify", str(bundle), "--json"])
    assert passed.exit_code == 0, passed.output
    record = json.loads(passed.stdout)
    assert record["ok"] is True and record["problems"] == []
    assert record["mof"]["class"] in (1, 2, 3) and isinstance(record["osaid"]["passed"], bool)
    verdict = record["signature"].pop("verdict")
    assert verdict.startswith("not signed: ") and "gemeingut sign" in verdict, verdict
    assert record["signature"] == {
        "present": False,
        "checked": False,
        "valid": None,
        "manifest_signed": None,
        "key": None,
    }
    (bundle / "NOTICE").write_text("changed\n", encoding="utf-8")
    failed = runner.invoke(app, ["verify", str(bundle), "--json"])
    assert failed.exit_code == 1, failed.output  # the bundle fails verification
    record = json.loads(failed.stdout)
    assert record["ok"] is False
    assert {"file": "NOTICE", "kind": "changed", "detail": "changed: NOTICE"} in record["problems"]
    assert "geändert: NOTICE" in failed.stderr
    for wrong in (tmp_path / "nowhere", bundle / "NOTICE"):  # a mistake in the call
        result = runner.invoke(app, ["verify", str(wrong)])
        assert result.exit_code == 2, result.output
