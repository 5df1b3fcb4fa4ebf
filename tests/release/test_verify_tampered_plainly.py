"""A journalist's tampering with a released bundle, said plainly by `verify` (trial 13): odd
file names shown with every character visible, swapped shards named as swapped before what
follows from it, a data statement's changed count named by line and value, a recipe edited
after the run named against the run's record, the MOF condition carried in --json, and an
unsigned bundle said to be checked only against itself."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.hashing import sha256_file
from gemeingut.i18n import text
from gemeingut.release.manifest import MANIFEST, SIGNATURE, manifest_problems, write_manifest
from gemeingut.release.openness.data_metadata import shard_licences
from gemeingut.release.openness.evidence import collect
from gemeingut.release.signing import sign_bundle
from gemeingut.release.verify import Verified
from gemeingut.release.verify_data_statement import DATA_STATEMENT, statement_lines
from gemeingut.release.verify_json import verified_record
from gemeingut.release.verify_recipe import recipe_problems
from tests.release.test_verify import published  # noqa: F401  (a fixture)

runner = CliRunner()


def _verify(bundle: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--lang", "de", "verify", str(bundle), *args])
    return result.exit_code, result.output


def _rehash(bundle: Path) -> None:
    """Every MANIFEST line rewritten to the files' bytes, as a tamperer without the key does."""
    lines = [line.split("  ", 1) for line in (bundle / MANIFEST).read_text().splitlines()]
    rewritten = "".join(f"{sha256_file(bundle / rel)}  {rel}\n" for _digest, rel in lines)
    (bundle / MANIFEST).write_text(rewritten, encoding="utf-8")


def _problem_lines(said: str) -> list[str]:
    return [line.strip() for line in said.splitlines() if line.strip().startswith("–")]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("README.md\u200b", "README.md\\u200b"),  # a zero-width space after a known name
        ("README\u202egnp.md", "README\\u202egnp.md"),  # turns the rest of the line around
        ("a\nb.txt", "a\\nb.txt"),  # would split the message in two lines
    ],
)
def test_an_extra_file_with_an_invisible_character_is_named_with_it_visible(
    tmp_path: Path, name: str, shown: str
) -> None:
    (tmp_path / "README.md").write_text("x")
    write_manifest(tmp_path)
    (tmp_path / name).write_text("y")
    said = [text(p, "de") for p in manifest_problems(tmp_path, {"README.md": sha256_file(
        tmp_path / "README.md")})]  # fmt: skip
    assert said == [f"zusätzlich: {shown}"], said


def test_names_that_differ_only_in_their_normal_form_are_told_apart(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    listed = {"a.txt": sha256_file(tmp_path / "a.txt")}
    nfc, nfd = "gr\u00fc\u00dfe.txt", unicodedata.normalize("NFD", "gr\u00fc\u00dfe.txt")
    (tmp_path / nfc).write_text("1")
    (tmp_path / nfd).write_text("2")
    said = [text(p, "de") for p in manifest_problems(tmp_path, listed)]
    assert said[0] != said[1], said  # the NFD one shows its combining mark
    assert "zusätzlich: gru\\u0308ße.txt" in said and "zusätzlich: grüße.txt" in said, said
    assert "unterscheiden sich nur in ihrer Unicode-Normalisierung" in said[2], said


def test_swapped_shards_with_the_manifest_rewritten_are_said_swapped_first(
    bundle: Path,
) -> None:
    train, validation = (bundle / "training-data" / f"{s}-00000.parquet" for s in
                         ("train", "validation"))  # fmt: skip
    os.rename(train, bundle / "x")
    os.rename(validation, train)
    os.rename(bundle / "x", validation)
    code, said = _verify(bundle)
    assert code == 1, said
    first = _problem_lines(said)[0]
    assert first.startswith(
        "– training-data/train-00000.parquet und training-data/validation-00000.parquet sind "
        "vertauscht: jede enthält, was für die andere verzeichnet ist (in MANIFEST)"
    ), said
    _rehash(bundle)
    code, said = _verify(bundle)
    first = _problem_lines(said)[0]
    assert code == 1 and "sind vertauscht" in first, said
    assert "(in training-data/manifest.json)" in first, said  # the data's record, not MANIFEST
    record = json.loads(runner.invoke(app, ["verify", str(bundle), "--json"]).stdout)
    assert [p["kind"] for p in record["problems"]][:2] == ["swapped", "claim"], record


def _count_tenfold(statement: Path) -> tuple[int, str, str]:
    """The first row of the licence table with its count ×10 (3 documents said to be 30):
    its line number, licence and count as written."""
    lines = statement.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.startswith("| Lizenz | Name |"))
    row = lines[header + 2].split(" | ")
    stated = row[3]
    row[3] = stated + "0"
    lines[header + 2] = " | ".join(row)
    statement.write_text("".join(lines), encoding="utf-8")
    return header + 3, row[0].removeprefix("| ").strip("`"), stated


def test_a_licence_count_changed_in_the_data_statement_is_named_by_line_and_value(
    published: Path,  # noqa: F811  (the fixture imported above)
    keys: Path,
    tmp_path: Path,
) -> None:
    statement = published / DATA_STATEMENT
    shutil.copy2(tmp_path / "publication" / "DATA_STATEMENT.md", statement)
    write_manifest(published)
    counts, _by_name = shard_licences(collect(published))
    assert statement_lines(DATA_STATEMENT, statement.read_text(encoding="utf-8"), counts) == []
    sign_bundle(published, keys / "publisher.key")
    line, licence, stated = _count_tenfold(statement)
    for args in ([], ["--key", str(keys / "publisher.pub")]):  # with a key, as without
        result = runner.invoke(app, ["verify", str(published), "--json", *args])
        details = [p["detail"] for p in json.loads(result.stdout)["problems"]]
        assert result.exit_code == 1, details
        assert (
            f"training-data/DATA_STATEMENT.md, line {line}: the licence table gives {licence} "
            f"{stated}0 in the column Dokumente, the shards give {stated}"
        ) in details, details
        assert not any("states other licences" in detail for detail in details), details


def test_a_recipe_edited_after_the_run_is_named_against_its_record(bundle: Path) -> None:
    recipe = bundle / "training-code" / "recipe.toml"
    recorded = json.loads((bundle / "training-metadata" / "training.json").read_text())
    steps = recorded["training"]["steps"]
    said = recipe.read_text(encoding="utf-8")
    assert f"steps = {steps}\n" in said
    recipe.write_text(said.replace(f"steps = {steps}\n", f"steps = {steps}0\n", 1))
    _rehash(bundle)
    (bundle / SIGNATURE).unlink(missing_ok=True)
    code, said = _verify(bundle)
    assert code == 1, said
    assert (
        f"training-code/recipe.toml setzt model.training.steps = {steps}0, doch "
        f"training-metadata/training.json verzeichnet, dass der Lauf {steps} verwendete"
    ) in " ".join(said.split()), said


def test_an_unsigned_bundle_is_said_to_be_checked_only_against_itself(bundle: Path) -> None:
    (bundle / SIGNATURE).unlink(missing_ok=True)
    code, said = _verify(bundle)
    said = " ".join(said.split())
    assert code == 0, said
    assert said.startswith(
        "nicht signiert: geprüft ist nur, dass die Dateien zu ihrem MANIFEST und "
        "zueinander passen, nicht, von wem sie stammen"
    ), said
    assert f"gemeingut verify {bundle} --key ÖFFENTLICHER_SCHLÜSSEL" in said


def test_json_carries_the_condition_of_a_conditional_class(tmp_path: Path) -> None:
    mof = {"class": 3, "label": "Class III - Open Model (conditional)", "conditional": True}
    rating = {"open": False, "mof": {**mof, "levels": {}}, "osaid": {"passed": False}}
    record = verified_record(Verified(tmp_path, 1, None, False, {}, None, rating))
    assert record["mof"] == mof


def test_json_names_an_odd_file_by_its_path_and_the_text_by_its_reading(tmp_path: Path) -> None:
    """`--json` is read by programs: its `file` is the path itself, not the escaped reading."""
    (tmp_path / "README.md").write_text("x")
    write_manifest(tmp_path)
    odd = "README.md\u200b"
    (tmp_path / odd).write_text("y")
    result = runner.invoke(app, ["--lang", "de", "verify", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert {"file": odd, "kind": "extra"}.items() <= problems[0].items(), problems
    assert "README.md\\u200b" in problems[0]["detail"], problems


def test_steps_a_fine_tune_counted_from_its_epochs_are_no_recipe_difference(
    tmp_path: Path,
) -> None:
    """With `epochs`, the run computes its steps (epochs × windows / batch): a recipe's own
    `steps` is not what it used, and not a tampering either."""
    code = tmp_path / "training-code"
    code.mkdir()
    (code / "recipe.toml").write_text(
        "[finetune]\nepochs = 2\n\n[finetune.training]\nsteps = 100\nlearning_rate = 0.001\n"
    )
    metadata = tmp_path / "training-metadata"
    metadata.mkdir()
    record = {"training": {"steps": 37, "learning_rate": 0.001}}
    (metadata / "finetune.json").write_text(json.dumps(record))
    listed = {"training-code/recipe.toml": "", "training-metadata/finetune.json": ""}
    assert recipe_problems(tmp_path, listed) == []
    record["training"]["learning_rate"] = 0.002  # a setting it did take as given
    (metadata / "finetune.json").write_text(json.dumps(record))
    assert len(recipe_problems(tmp_path, listed)) == 1


@pytest.mark.parametrize(
    ("stated", "problems"),
    [
        ('steps = "160"', 0),  # a string the recipe's loader reads as the number it is
        ("learning_rate = 3e-3", 0),
        ('learning_rate = "3e-3"', 0),
        ("compile = 1", 0),  # pydantic reads 1 as true
        ("steps = 1600", 1),
        ('steps = "1600"', 1),
        ("learning_rate = 0.03", 1),
        ("compile = false", 1),
    ],
)
def test_a_recipe_value_is_compared_as_its_loader_reads_it(
    tmp_path: Path, stated: str, problems: int
) -> None:
    """A recipe that trained as written (its values read by pydantic into the recorded
    types) is no recipe edited after the run; a value that reads as another one is."""
    code = tmp_path / "training-code"
    code.mkdir()
    (code / "recipe.toml").write_text(f"[model.training]\n{stated}\n")
    metadata = tmp_path / "training-metadata"
    metadata.mkdir()
    record = {"training": {"steps": 160, "learning_rate": 0.003, "compile": True}}
    (metadata / "training.json").write_text(json.dumps(record))
    listed = {"training-code/recipe.toml": "", "training-metadata/training.json": ""}
    assert len(recipe_problems(tmp_path, listed)) == problems
