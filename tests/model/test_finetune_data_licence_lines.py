"""`model finetune` on JSONL whose lines state their own licences (the field `data curate`
reads): a --data-license they contradict is refused before training, naming the file, the lines
and what each says; the rating of what it wrote counts each line under its own licence."""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import text
from gemeingut.release.openness.folder_data_licence import fine_tuning_data_licence
from gemeingut.release.openness.foreign import rate_folder
from tests.corpus import open_documents, write_jsonl
from tests.release.test_openness_rate_finetune import base_folder
from tests.test_cli import invoke


def _lines(unlicensed: int = 2) -> list[dict]:
    """3 lines under CC0, 3 under CC BY with attribution, `unlicensed` with none."""
    own = [{"license": "CC0-1.0"}] * 3 + [{"license": "CC-BY-4.0", "attribution": "Amt X"}] * 3
    own += [{}] * unlicensed
    return [
        {"prompt": f"Frage {i}?", "completion": f" Antwort {i}.", **o} for i, o in enumerate(own)
    ]


def _tune(root: Path, data: Path, *extra: str):
    return invoke(
        "model", "finetune", base_folder(root), "--data", data, "--out", root / "tuned",
        "--steps", "2", "--merge", *extra,
    )  # fmt: skip


def test_a_data_licence_the_lines_contradict_is_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "docs.jsonl", _lines())
    result = _tune(tmp_path, data, "--data-license", "CC0-1.0")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert (
        "docs.jsonl: 3 Zeilen nennen im Feld „license“ eine eigene Lizenz, der --data-license "
        "CC0-1.0 widerspricht: Zeile 4 nennt CC-BY-4.0, Zeile 5 nennt CC-BY-4.0, Zeile 6 nennt "
        "CC-BY-4.0"
    ) in said, said
    assert "--data-license weglassen" in said and "data curate" in said
    assert "Traceback" not in said
    assert not (tmp_path / "tuned").exists()  # refused before anything is written


def test_a_data_licence_a_curated_datasets_documents_contradict_is_refused(
    tmp_path: Path,
) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(12))
    made = invoke("data", "curate", docs, "--out", tmp_path / "ds", "--workers", "1")
    assert made.exit_code == 0, made.output
    result = _tune(tmp_path, tmp_path / "ds", "--data-license", "CC-BY-4.0",
                   "--data-attribution", "Amt X", "--data-url", "https://example.org")  # fmt: skip
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "--data-license CC-BY-4.0 widerspricht" in said and "unter CC0-1.0" in said, said
    assert not (tmp_path / "tuned").exists()


def test_a_damaged_shard_of_the_curated_dataset_is_named_in_words(tmp_path: Path) -> None:
    """The licences of a curated dataset's documents are read before training: a shard that
    cannot be read is named, not a pyarrow traceback."""
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(12))
    made = invoke("data", "curate", docs, "--out", tmp_path / "ds", "--workers", "1")
    assert made.exit_code == 0, made.output
    shard = sorted((tmp_path / "ds").rglob("train-*.parquet"))[0]
    shard.write_bytes(shard.read_bytes()[:50])
    result = _tune(tmp_path, tmp_path / "ds", "--data-license", "CC0-1.0")
    said = " ".join(result.output.split())
    assert result.exit_code == 2, (said, result.exception)
    assert f"ds/shards/{shard.name} ist keine lesbare Parquet-Datei" in said, said
    assert not (tmp_path / "tuned").exists()


def test_lines_that_agree_with_the_data_licence_pass(tmp_path: Path) -> None:
    lines = [line for line in _lines() if line.get("license") != "CC-BY-4.0"]
    data = write_jsonl(tmp_path / "docs.jsonl", lines)
    result = _tune(tmp_path, data, "--data-license", "CC0-1.0")
    assert result.exit_code == 0, result.output
    assert rate_folder(tmp_path / "tuned")["licenses"]["data"] == "CC0-1.0"


def test_the_rating_computes_the_licence_the_lines_state(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "docs.jsonl", _lines(unlicensed=0))
    assert _tune(tmp_path, data).exit_code == 0
    rated = rate_folder(tmp_path / "tuned")
    assert rated["licenses"]["data"] == "CC-BY-4.0 AND CC0-1.0"
    notes = text(rated["osai_index"]["datasources_endmodel"]["notes"], "en")
    assert "6 examples of data/docs.jsonl state their own licence" in notes, notes
    assert "artifact.json records" not in notes


def test_lines_without_a_licence_beside_licensed_ones_leave_it_unknown(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "docs.jsonl", _lines())
    assert _tune(tmp_path, data).exit_code == 0
    rated = rate_folder(tmp_path / "tuned")
    assert rated["licenses"]["data"] is None
    assert text(rated["licenses_unknown"]["data"], "en") == (
        "2 examples of data/docs.jsonl state no licence in a field 'license' while others do, "
        "and artifact.json records none given with the data: the fine-tuning data's licence is "
        "unknown (give those lines their licence)"
    )
    assert rated["osai_index"]["datasources_endmodel"]["class"] == "partial"


def test_lines_naming_the_same_licences_under_other_terms_are_refused(tmp_path: Path) -> None:
    """A licence is compared by its terms (`same_licence`), not by the ids it names: lines that
    grant both licences at once are no choice between them, and one written in another case
    or order is the licence given."""
    lines = [
        {"prompt": "Frage?", "completion": " Antwort.", "license": own}
        for own in ("cc0-1.0 OR MIT", "CC0-1.0 AND MIT")
    ]
    data = write_jsonl(tmp_path / "docs.jsonl", lines)
    result = _tune(tmp_path, data, "--data-license", "MIT OR CC0-1.0")
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "Zeile 2 nennt CC0-1.0 AND MIT" in said and "Zeile 1" not in said, said


def _read(tmp_path: Path, lines: list[dict]) -> tuple[str | None, str]:
    """The licence a fine-tune's folder holding `lines` as its data is read to have, and why."""
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "docs.jsonl", lines)
    read = fine_tuning_data_licence(tmp_path, {}, {"path_name": "docs.jsonl"})
    return read.licence, text(read.said, "en")


def test_one_line_stating_its_licence_is_said_in_the_singular(tmp_path: Path) -> None:
    licence, said = _read(tmp_path, [{"prompt": "Frage?", "license": "CC0-1.0"}])
    assert licence == "CC0-1.0"
    assert (
        said
        == "an example of data/docs.jsonl states its own licence in its field 'license': CC0-1.0"
    )


def test_lines_whose_licence_field_is_empty_state_none(tmp_path: Path) -> None:
    """An empty `license` states no licence: with no line that states one, the licence is
    unknown as for lines without the field, not because of lines that do state one."""
    licence, said = _read(tmp_path, [{"prompt": "Frage?", "license": ""}] * 2)
    assert licence is None
    assert "while others do" not in said, said
    assert said.startswith("the fine-tuning data (data/docs.jsonl) was given as files"), said
