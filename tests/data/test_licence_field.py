"""A record's field `license` is read one way (`data.licence_field`) by `data curate` and by a
fine-tuning file's lines: the same field gives the same licence in both, and a field that
holds no text (`["MIT"]`, `{"id": "MIT"}`) is excluded naming the field and what a valid value
looks like, never recorded as Python's text of it (`['MIT']`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.data.readers import read_source
from gemeingut.model.finetune_line_licences import line_licences
from gemeingut.recipe import SourceSpec
from tests.corpus import write_jsonl


def _curated(path: Path) -> tuple[list, list]:
    excluded: list = []
    docs = list(read_source(SourceSpec(name="docs", path=path), excluded.append))
    return docs, excluded


@pytest.mark.parametrize("field", [" CC-BY-4.0 ", "MIT OR Apache-2.0", ""])
def test_a_curated_document_and_a_fine_tuning_line_read_the_same_licence(
    tmp_path: Path, field: str
) -> None:
    path = write_jsonl(tmp_path / "docs.jsonl", [{"text": "Ein Satz.", "license": field}])
    (doc,), _excluded = _curated(path)
    ((_line, own),) = line_licences(path)
    assert doc.license == own == field.strip()


@pytest.mark.parametrize(
    ("value", "shown"), [(["MIT"], '["MIT"]'), ({"id": "MIT"}, '{"id": "MIT"}')]
)
def test_a_licence_field_that_is_no_text_is_excluded_naming_it(
    tmp_path: Path, value: object, shown: str
) -> None:
    records = [{"text": "Ein Satz.", "license": "MIT"}, {"text": "Noch einer.", "license": value}]
    docs, excluded = _curated(write_jsonl(tmp_path / "docs.jsonl", records))
    assert [d.license for d in docs] == ["MIT"]
    (exclusion,) = excluded
    assert (exclusion.location, exclusion.reason) == ("docs.jsonl:2", "licence-unparseable")
    assert exclusion.detail.startswith(f"the field 'license' holds {shown}, not a text: ")
    assert '"license": "CC-BY-4.0"' in exclusion.detail, exclusion.detail
    assert "['MIT']" not in exclusion.detail and "{'id'" not in exclusion.detail
