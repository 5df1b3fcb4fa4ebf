"""A bundle an older gemeingut built (before model/LICENSE and its check `licence.text`) failed
`verify` as if someone had altered it: "openness.json: die Prüfung „licence.text“ fehlt", the
card's openness paragraph differs, and the hint "das Paket wurde nach der Veröffentlichung
verändert". A bundle has no format field; its lineage names the code that built it, and its
openness.json the checks that code knew. Verify now says that the bundle is of an older format
and how to rebuild it; a bundle of this version's format with a file missing still fails as one
that was altered.

An older bundle is simulated as one really looks: its own source (training-code/) does not make
the check it lacks, and its lineage names that source's code. A lineage rewritten alone (or a
source that still makes the check) is an alteration, not an older format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_snapshot import snapshot_code
from gemeingut.workspace import code_version

OLDER_CODE = "gemeingut 0.1.0+src.d15432938f"  # the code of commit c20cb0b, before licence.text
ALTERED = "das Paket wurde nach der Veröffentlichung verändert"


def _without_check(bundle: Path, check: str = "licence.text") -> None:
    """The bundle without `check` in its openness.json, nor model/LICENSE, its evidence."""
    (bundle / "model" / "LICENSE").unlink()
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    rating["checks"] = [c for c in rating["checks"] if c["id"] != check]
    (bundle / "openness.json").write_text(json.dumps(rating, indent=2), encoding="utf-8")


def _older_source(bundle: Path, check: str = "licence.text") -> str:
    """The bundle's own gemeingut source as a version that did not yet make `check` had it:
    the check's id gone from its code; its code version, computed from it."""
    for path in (bundle / "training-code" / "gemeingut").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if f'"{check}"' in source:
            path.write_text(source.replace(f'"{check}"', '"unwritten"'), encoding="utf-8")
    code = snapshot_code(bundle)
    assert code is not None and code != code_version()
    return code


def _as_written_by_older(bundle: Path, check: str = "licence.text") -> str:
    """The bundle as a gemeingut that did not yet write `check` (nor model/LICENSE) built it:
    its source lacks the check, its lineage names that code, its MANIFEST lists the files it
    wrote; that code."""
    _without_check(bundle, check)
    code = _older_source(bundle, check)
    _built_by(bundle, code)
    return code


def _newer_source(bundle: Path, check: str = "licence.future") -> str:
    """The bundle's own source as a newer version that makes `check` has it; its code."""
    names = bundle / "training-code" / "gemeingut" / "release" / "openness" / "check_names.py"
    names.write_text(names.read_text(encoding="utf-8") + f'FUTURE = "{check}"\n', "utf-8")
    code = snapshot_code(bundle)
    assert code is not None
    return code


def _built_by(bundle: Path, code: str) -> None:
    lineage_path = bundle / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    for meta in lineage.values():
        meta["code"] = code
    lineage_path.write_text(json.dumps(lineage, indent=2), encoding="utf-8")
    write_manifest(bundle)


def _failed(bundle: Path) -> tuple[str, str]:
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    said = " ".join(text(caught.value.message).split())
    return said, " ".join(text(caught.value.hint).split())


def test_an_older_bundle_is_named_as_such_not_as_altered(bundle: Path) -> None:
    older = _as_written_by_older(bundle)
    said, hint = _failed(bundle)
    assert (
        "lässt sich mit diesem gemeingut nicht prüfen: seine Dateien stimmen mit dem MANIFEST "
        in said
    )
    assert (
        f"– erstellt von {older} in einem älteren Paketformat, ohne die Prüfung "
        "„licence.text“, die diese Version (gemeingut " in said
    ), said
    assert "(licence.text) fehlt" not in said  # said once, as the format's
    assert "besteht die Prüfung nicht" not in said
    assert hint.startswith("bauen Sie das Paket mit diesem gemeingut neu (`gemeingut build"), hint
    assert ALTERED not in hint
    result = CliRunner().invoke(app, ["verify", str(bundle), "--json"])
    assert result.exit_code == 1, result.output  # not verified: this version cannot vouch
    first = json.loads(result.stdout)["problems"][0]
    assert first["kind"] == "older-format" and "older bundle format" in first["detail"]


def test_the_same_gaps_in_a_bundle_of_this_version_are_an_alteration(bundle: Path) -> None:
    _without_check(bundle)
    _built_by(bundle, code_version())  # this very code writes licence.text
    said, hint = _failed(bundle)
    assert "besteht die Prüfung nicht" in said and "(licence.text) fehlt" in said, said
    assert "Paketformat" not in said and ALTERED in hint


def test_a_file_missing_from_a_bundle_of_this_format_is_still_named(bundle: Path) -> None:
    """Built by another version, but in this format (every check listed): a file that its
    MANIFEST lists and that is gone is an alteration, as before."""
    _built_by(bundle, OLDER_CODE)
    (bundle / "model" / "LICENSE").unlink()
    said, hint = _failed(bundle)
    assert "besteht die Prüfung nicht" in said and "– fehlt: model/LICENSE" in said, said
    assert "Paketformat" not in said and ALTERED in hint


def _checks(bundle: Path, change) -> None:
    """openness.json's list of checks as `change` leaves it."""
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    rating["checks"] = change(rating["checks"])
    (bundle / "openness.json").write_text(json.dumps(rating, indent=2), encoding="utf-8")


def test_a_check_whose_file_the_bundle_holds_removed_is_an_alteration(bundle: Path) -> None:
    """Only a check on a file its writer never wrote (model/LICENSE) marks an older format: one
    whose evidence the MANIFEST lists was left out after the release, whoever built it."""
    _checks(bundle, lambda checks: [c for c in checks if c["id"] != "licence.weights"])
    older = _older_source(bundle)
    _built_by(bundle, older)
    said, hint = _failed(bundle)
    assert "Prüfung Lizenz der Gewichte (licence.weights) fehlt" in said, said
    assert "Paketformat" not in said, said
    assert hint.startswith(f"das Paket wurde von {older} erstellt"), hint


def test_a_check_this_version_knows_is_no_sign_of_a_newer_format(bundle: Path) -> None:
    """The tiny data (CC0, CC-BY-4.0) asks for no licence text: a `licence.data-text` entry in
    its openness.json is one this version writes where data asks for it, not a newer one's."""
    added = {"id": "licence.data-text", "passed": True, "evidence": "x", "detail": "x"}
    _checks(bundle, lambda checks: [*checks, added])
    _built_by(bundle, OLDER_CODE)
    said, _hint = _failed(bundle)
    assert "neueren Paketformat" not in said, said
    result = CliRunner().invoke(app, ["verify", str(bundle), "--json"])
    kinds = [p["kind"] for p in json.loads(result.stdout)["problems"]]
    assert "newer-format" not in kinds, kinds


def test_a_check_this_version_does_not_know_is_a_newer_format(bundle: Path) -> None:
    added = {"id": "licence.future", "passed": True, "evidence": "x", "detail": "x"}
    _checks(bundle, lambda checks: [*checks, added])
    _built_by(bundle, _newer_source(bundle))
    said, hint = _failed(bundle)
    assert "neueren Paketformat" in said and "„licence.future“" in said, said
    assert hint.startswith("bauen Sie das Paket mit diesem gemeingut neu"), hint


def test_an_older_writers_gaps_are_known_by_their_fields_not_their_words(bundle: Path) -> None:
    """The missing check and document are recognised by what they name (`Absent`), not by
    their sentences: reworded ones still say "older format", and restate nothing twice."""
    from gemeingut.i18n import Message
    from gemeingut.release.manifest import read_manifest
    from gemeingut.release.openness.absent import Absent
    from gemeingut.release.openness.evidence import collect
    from gemeingut.release.openness.rating import rate
    from gemeingut.release.verify_format import other_format

    _as_written_by_older(bundle)
    rating = rate(collect(bundle))
    reworded = Absent(
        Message("{file} lacks the check {check}", {"file": "openness.json", "check": "x"}),
        file="openness.json",
        check="licence.text",
    )
    document = Absent(Message("gone: {file}", {"file": "EXTRA.md"}), file="EXTRA.md")
    older = other_format(bundle, read_manifest(bundle), rating, [reworded, document], "ours")
    assert older is not None and older.format_problems == [reworded, document]
    said = text(older.said, "en")
    assert "older bundle format" in said and "licence.text" in said and "EXTRA.md" in said


def test_a_lineage_rewritten_alone_is_an_alteration_not_an_older_bundle(bundle: Path) -> None:
    """Without a signature, the lineage's code is one line to rewrite: the bundle's own source
    (training-code/, hashed in its MANIFEST) is still this version's, which makes the check."""
    _without_check(bundle)
    _built_by(bundle, OLDER_CODE)
    said, hint = _failed(bundle)
    assert "Paketformat" not in said and "lässt sich mit diesem gemeingut nicht prüfen" not in said
    assert "besteht die Prüfung nicht" in said and "(licence.text) fehlt" in said, said
    assert (
        f"– training-metadata/lineage.json nennt den Code {OLDER_CODE}, aber der "
        f"gemeingut-Quelltext im Paket (training-code/gemeingut/) ist {snapshot_code(bundle)}"
        in said
    ), said
    assert ALTERED in hint, hint
    result = CliRunner().invoke(app, ["verify", str(bundle), "--json"])
    assert result.exit_code == 1
    assert "older-format" not in [p["kind"] for p in json.loads(result.stdout)["problems"]]


def test_a_check_the_own_source_does_not_make_is_no_newer_format(bundle: Path) -> None:
    added = {"id": "licence.future", "passed": True, "evidence": "x", "detail": "x"}
    _checks(bundle, lambda checks: [*checks, added])
    _built_by(bundle, _older_source(bundle))  # another code, which makes no licence.future
    said, hint = _failed(bundle)
    assert "neueren Paketformat" not in said and "besteht die Prüfung nicht" in said, said
    assert "die Prüfung „licence.future“ auf, die auch der eigene Code des Pakets" in said, said
    assert ALTERED in hint, hint
