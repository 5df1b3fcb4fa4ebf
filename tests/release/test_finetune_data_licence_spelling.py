"""The rating of a fine-tuned folder reads the licences its examples state as they spell them,
blanks stripped, as the release bundle's reader does (`verify` recomputes a bundle's claims from
the same spellings: merging `mit` into `MIT` would fail bundles written before); a field that
holds no licence (`["MIT"]`, `MIT AND`) leaves the licence unknown, naming the file, the line, the
field and what a valid value looks like, instead of a garbled expression."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.data.licence_families import same_licence
from gemeingut.i18n import text
from gemeingut.release.openness.evidence import data_licences
from gemeingut.release.openness.folder_data_licence import fine_tuning_data_licence
from gemeingut.release.openness.foreign import rate_folder
from gemeingut.release.openness.licences import collection_expression
from tests.corpus import write_jsonl
from tests.release.test_openness_rate_finetune import base_folder
from tests.test_cli import invoke


def _lines(*licences: object) -> list[dict]:
    return [
        {"prompt": f"Frage {i}?", "completion": f" Antwort {i}.", "license": own}
        for i, own in enumerate(licences)
    ]


def _read(tmp_path: Path, lines: list[dict]) -> tuple[str | None, str]:
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "docs.jsonl", lines)
    read = fine_tuning_data_licence(tmp_path, {}, {"path_name": "docs.jsonl"})
    return read.licence, text(read.said, "de")


def test_spellings_are_kept_blanks_stripped(tmp_path: Path) -> None:
    licence, said = _read(tmp_path, _lines("mit", "MIT", " CC-BY-4.0 ", "CC-BY-4.0"))
    assert licence == "CC-BY-4.0 AND MIT AND mit"
    assert said.endswith("ihre eigene Lizenz: CC-BY-4.0 AND MIT AND mit"), said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (["MIT"], 'das Feld „license“ enthält ["MIT"], keinen Text'),
        ({"id": "MIT"}, 'das Feld „license“ enthält {"id": "MIT"}, keinen Text'),
        ("MIT AND", 'das Feld „license“ enthält "MIT AND", keinen SPDX-Lizenzausdruck'),
    ],
)
def test_a_field_that_holds_no_licence_is_named_and_leaves_it_unknown(
    tmp_path: Path, value: object, said: str
) -> None:
    licence, why = _read(tmp_path, _lines("CC0-1.0", value))
    assert licence is None
    assert why == (
        f"data/docs.jsonl, Zeile 2: {said}; die Lizenz der Feinabstimmungsdaten ist daher "
        'unbekannt (schreiben Sie die Lizenz als einen SPDX-Ausdruck, etwa "license": '
        '"CC-BY-4.0" oder "license": "MIT OR Apache-2.0")'
    )


def test_the_rating_of_a_fine_tuned_folder_names_each_spelling(tmp_path: Path) -> None:
    """End to end: `model finetune` on lines spelling MIT twice, then the folder's rating; a
    copy of its data whose field is broken later (by hand, or an older gemeingut) is named."""
    data = write_jsonl(tmp_path / "docs.jsonl", _lines("mit", "MIT", "Mit"))
    result = invoke(
        "model", "finetune", base_folder(tmp_path), "--data", data, "--out", tmp_path / "tuned",
        "--steps", "2", "--merge",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rate_folder(tmp_path / "tuned")["licenses"]["data"] == "MIT AND Mit AND mit"
    copy = tmp_path / "tuned" / "data" / "docs.jsonl"
    copy.write_text(copy.read_text("utf-8").replace('"mit"', '"MIT AND"'), "utf-8")
    rated = rate_folder(tmp_path / "tuned")
    assert rated["licenses"]["data"] is None
    said = text(rated["licenses_unknown"]["data"], "en")
    assert said.startswith(
        "data/docs.jsonl, line 1: the field 'license' holds \"MIT AND\", which is no SPDX"
    ), said


def test_licences_are_compared_as_expressions() -> None:
    assert same_licence("mit AND cc0-1.0", "CC0-1.0 AND MIT")
    assert not same_licence("MIT OR CC0-1.0", "MIT AND CC0-1.0")


def test_the_line_is_named_as_json_writes_it(tmp_path: Path) -> None:
    """A long value is shortened, never written as Python's text of it."""
    _licence, why = _read(tmp_path, _lines(["MIT", "Apache-2.0", "BSD-3-Clause"] * 5))
    assert '["MIT", "Apache-2.0"' in why and "…" in why and "['MIT'" not in why, why


def test_a_bundles_documents_are_counted_as_spelled(tmp_path: Path) -> None:
    """The release's own reader (`evidence.data_licences`) counts each spelling apart, as the
    folder's rating does: the figures a bundle shipped are the ones `verify` recomputes."""
    (tmp_path / "data").mkdir()
    rows = {"license": ["mit", "MIT", "cc0-1.0", None], "source": ["a", "b", "c", "d"]}
    pq.write_table(pa.table(rows), tmp_path / "data" / "part-0.parquet")
    read = data_licences(tmp_path, "data", {})
    assert dict(read.documents) == {"mit": 1, "MIT": 1, "cc0-1.0": 1, "NOASSERTION": 1}
    assert collection_expression(["mit", "MIT", "mit"]) == "MIT AND mit"
