"""`verify` renders a bundle's data statement again from the records it was written from (the
dataset's stats.json and record, the recipe's [data.publication] as the lineage keeps it) and
names each line that differs: a number, a source's documentation, prose filled in where the
recipe gave none (never invented, so never accepted), with the line, what it says and what
the records give. A statement that no record of the bundle gives is named too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify_data_statement import DATA_STATEMENT
from tests.release.documents_again import documents_rendered_again
from tests.release.test_verify_tampered_plainly import _problem_lines, _verify
from tests.test_cli import invoke

MISSING = "_In `[data.publication]` nicht angegeben._"
RECORDS = "training-data/stats.json, training-metadata/lineage.json (dataset, publication)"
PUBLICATION = (  # the recipe's [data.publication]; example.org without its `/`, as one writes it
    'title_de = "Winziges Korpus"\ndescription_de = "Testdaten."\n'
    'publisher_name = "Testamt"\ndownload_url = "https://example.org"\n'
    'limitations = "Sehr klein."\n'
)


@pytest.fixture(scope="module")
def released(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny build released with a publication (`data publish`, `release --publication`):
    a bundle with a data statement, as a build with [data.publication] makes one."""
    root = tmp_path_factory.mktemp("stated")
    info = root / "publication.toml"
    info.write_text(PUBLICATION, encoding="utf-8")
    published = invoke(
        "data", "publish", tiny_build["dataset"]["path"], "--info", info, "--out", root / "pub"
    )
    assert published.exit_code == 0, published.output
    paths = {k: tiny_build[k]["path"] for k in ("dataset", "tokenizer", "model", "evaluation")}
    result = invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"], "--name", "erklaert",
        "--finetuned", tiny_build["finetune"]["path"], "--publication", root / "pub",
        "--out", root / "release",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root / "release" / "bundle"


@pytest.fixture
def stated(released: Path, tmp_path: Path) -> Path:
    """A private copy of the released bundle, free to damage."""
    return Path(shutil.copytree(released, tmp_path / "bundle"))


def _edited(bundle: Path, old: str, new: str) -> int:
    """`old` replaced by `new` once in the statement, the MANIFEST re-hashed (unsigned);
    the number of the line edited."""
    path = bundle / DATA_STATEMENT
    statement = path.read_text(encoding="utf-8")
    assert statement.count(old) >= 1, old
    at = statement.index(old)
    path.write_text(statement.replace(old, new, 1), encoding="utf-8")
    write_manifest(bundle)
    return statement[:at].count("\n") + 1


def _records(bundle: Path) -> list[dict]:
    result = invoke("verify", bundle, "--json")
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["problems"]


def test_the_released_statement_is_the_one_its_records_give(stated: Path) -> None:
    code, said = _verify(stated)
    assert code == 0, said


def test_a_number_edited_in_the_statement_is_named_with_its_line_and_both_values(
    stated: Path,
) -> None:
    stats = json.loads((stated / "training-data" / "stats.json").read_text(encoding="utf-8"))
    kept = stats["kept"]
    line = _edited(stated, f"enthält {kept} Dokumente", f"enthält {kept}0 Dokumente")
    code, said = _verify(stated)
    assert code == 1, said
    [problem] = _problem_lines(said)
    assert problem.startswith(
        f'– {DATA_STATEMENT}, Zeile {line}: dort steht "Der Datensatz enthält {kept}0 Dokumente'
    ), problem
    assert f'aus {RECORDS} neu erzeugt, lautet die Zeile "Der Datensatz enthält {kept} ' in problem
    [record] = _records(stated)
    assert (record["file"], record["line"], record["kind"]) == (DATA_STATEMENT, line, "claim")


def test_prose_filled_in_where_the_recipe_gave_none_is_named(stated: Path) -> None:
    """The recipe says nothing of the speakers: the statement says so, and a sentence put in
    its place after the release is no sentence of the recipe."""
    heading = "## 6. Demografie der Sprechenden\n\n"
    line = _edited(stated, heading + MISSING, heading + "Verwaltungsangestellte aus Bayern.") + 2
    [record] = _records(stated)
    assert record["line"] == line, record
    assert record["detail"] == (
        f'{DATA_STATEMENT}, line {line}: it says "Verwaltungsangestellte aus Bayern."; rendered '
        f'again from {RECORDS}, the line reads "{MISSING}"'
    ), record


def test_a_licence_count_is_named_once_against_the_shards(stated: Path) -> None:
    statement = (stated / DATA_STATEMENT).read_text(encoding="utf-8")
    row = next(line for line in statement.splitlines() if line.startswith("| `CC0-1.0` |"))
    cells = row.split(" | ")
    count = cells[-2]
    edited = " | ".join([*cells[:-2], f"{count}0", cells[-1]])
    line = _edited(stated, row, edited)
    records = _records(stated)
    assert [(p["line"], p["detail"].split(": ", 1)[1]) for p in records] == [
        (line, f"the licence table gives CC0-1.0 {count}0 in the column Dokumente, the shards "
               f"give {count}")
    ], records  # fmt: skip


def test_a_statement_that_no_record_gives_is_named(stated: Path) -> None:
    lineage_path = stated / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    del lineage["publication"]
    lineage_path.write_text(json.dumps(lineage, indent=2), encoding="utf-8")
    write_manifest(stated)
    details = [p["detail"] for p in _records(stated)]
    assert (
        f"{DATA_STATEMENT} is written from no record of the bundle: "
        "training-metadata/lineage.json records no publication"
    ) in " ".join(details), details


def test_prose_edited_in_the_record_and_the_statement_alike_is_named_by_the_recipe(
    stated: Path,
) -> None:
    """The recipe a build copies holds the [data.publication] the statement was written
    from: prose changed in the lineage's record and in the statement alike still differs
    from it (read as the recipe's loader reads it: the URL is the same one)."""
    recipe = stated / "training-code" / "recipe.toml"
    recipe.write_text("[data.publication]\n" + PUBLICATION, encoding="utf-8")
    documents_rendered_again(stated)  # a bundle with its recipe (the OSAI index says so)
    assert _verify(stated)[0] == 0
    lineage_path = stated / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    lineage["publication"]["params"]["limitations"] = "Keine."
    lineage_path.write_text(json.dumps(lineage, indent=2), encoding="utf-8")
    _edited(stated, "Sehr klein.", "Keine.")
    records = _records(stated)
    assert [p["file"] for p in records] == ["training-code/recipe.toml"], records
    details = [p["detail"] for p in records]
    assert details == [
        'training-code/recipe.toml sets data.publication.limitations = "Sehr klein.", but '
        "training-metadata/lineage.json (publication) records that the data statement was "
        'written from "Keine.": the recipe is not the one it was published with'
    ], details
