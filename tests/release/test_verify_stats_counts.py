"""The curation's count tables (`training-data/stats.json` and the lineage's copy the card is
written from) are counted again in the shards: an edited count, with the MANIFEST re-hashed
(unsigned), is named by its file, table, row and field, in German and in English."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import invoke

STATS = "training-data/stats.json"
LINEAGE = "training-metadata/lineage.json"
SHARDS = (
    "training-data/train-*.parquet, training-data/validation-*.parquet, test-data/test-*.parquet"
)
EXCLUSIONS = "training-data/excluded/exclusions.parquet"


def _edit(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    edit(value)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _verify(bundle: Path, *lang: str) -> tuple[int, str]:
    from gemeingut.release.manifest import write_manifest

    write_manifest(bundle)  # the tampering re-hashed: only counting again finds it
    result = invoke(*lang, "verify", bundle)
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def _bytes_of_docs(stats: dict[str, Any]) -> None:
    stats["kept_volume"]["by_source"]["docs"]["bytes"] += 1


def test_an_untouched_bundle_s_counts_are_those_of_its_shards(bundle: Path) -> None:
    code, said = _verify(bundle)
    assert code == 0, said


@pytest.mark.parametrize(
    ("edit", "german"),
    [
        (
            _bytes_of_docs,
            "Tabelle kept_volume.by_source, Zeile „docs“, Feld bytes ist {bytes}; gezählt in "
            f"{SHARDS}: {{counted}}",
        ),
        (
            lambda stats: stats["kept_by_source"].update(docs=stats["kept_by_source"]["docs"] + 1),
            "Tabelle kept_by_source, Zeile „docs“ ist {docs}; gezählt in " + SHARDS,
        ),
        (
            lambda stats: stats["splits"]["test"].update(characters=1),
            "Tabelle splits, Zeile „test“, Feld characters ist 1; gezählt in " + SHARDS,
        ),
        (
            lambda stats: stats["excluded_by_reason"].update(duplicate=2),
            f"Tabelle excluded_by_reason, Zeile „duplicate“ ist 2; gezählt in {EXCLUSIONS}: 1",
        ),
        (
            lambda stats: stats["kept_by_source"].pop("notes"),
            f"der Tabelle kept_by_source fehlt die Zeile „notes“; gezählt in {SHARDS}: 2",
        ),
        (
            lambda stats: stats["kept_by_language"].update(de=stats["kept_by_language"]["de"] + 5),
            "Tabelle kept_by_language, Feld documents: ihre Zeilen ergeben {languages}; "
            f"gezählt in {SHARDS}: {{kept}}",
        ),
    ],
    ids=["volume", "documents", "split", "excluded", "row-removed", "language-sum"],
)
def test_an_edited_count_in_stats_json_is_named_by_table_row_and_field(
    bundle: Path, edit: Callable[[dict[str, Any]], None], german: str
) -> None:
    before = json.loads((bundle / STATS).read_text(encoding="utf-8"))
    _edit(bundle / STATS, edit)
    after = json.loads((bundle / STATS).read_text(encoding="utf-8"))
    code, said = _verify(bundle)
    assert code == 1
    expected = german.format(
        bytes=after["kept_volume"]["by_source"]["docs"]["bytes"],
        counted=before["kept_volume"]["by_source"]["docs"]["bytes"],
        docs=after["kept_by_source"].get("docs"),
        languages=sum(after["kept_by_language"].values()),
        kept=before["kept"],
    )
    assert f"{STATS}: {expected}" in said


def test_the_same_count_is_named_in_english(bundle: Path) -> None:
    before = json.loads((bundle / STATS).read_text(encoding="utf-8"))
    _edit(bundle / STATS, _bytes_of_docs)
    code, said = _verify(bundle, "--lang", "en")
    counted = before["kept_volume"]["by_source"]["docs"]["bytes"]
    assert code == 1
    assert (
        f"{STATS}: table kept_volume.by_source, row 'docs', field bytes is {counted + 1}; "
        f"counted in {SHARDS}: {counted}"
    ) in said


def test_the_lineage_s_copy_that_the_documents_are_written_from_is_counted_too(
    bundle: Path,
) -> None:
    _edit(bundle / LINEAGE, lambda lineage: _bytes_of_docs(lineage["dataset"]["stats"]))
    code, said = _verify(bundle)
    assert code == 1
    assert f"{LINEAGE} (dataset.stats): Tabelle kept_volume.by_source, Zeile „docs“" in said


def test_an_edited_licence_count_is_named_once(bundle: Path) -> None:
    """The licence table is counted again with the others, not a second time by the data's
    licence check (`data_metadata.py`), in other words."""
    before = json.loads((bundle / STATS).read_text(encoding="utf-8"))
    licence = next(iter(before["kept_by_license"]))
    _edit(bundle / STATS, lambda stats: stats["kept_by_license"].update({licence: 10**6}))
    code, said = _verify(bundle)
    assert code == 1
    assert f"{STATS}: Tabelle kept_by_license, Zeile „{licence}“ ist 1000000" in said
    assert said.count(STATS) == 1, said
