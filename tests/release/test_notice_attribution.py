"""NOTICE lists every document whose licence asks for attribution, an open one or not."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.data.publish.licenses import ATTRIBUTION_REQUIRED, needs_attribution
from gemeingut.release.notice import release_notice


def test_a_refused_by_licence_still_needs_attribution() -> None:
    assert needs_attribution("CC-BY-NC-4.0") and needs_attribution("CC-BY-NC-SA-4.0")
    assert needs_attribution("CC-BY-ND-4.0 AND CC0-1.0")
    assert not needs_attribution("CC0-1.0") and not needs_attribution("LicenseRef-Proprietary")


def test_a_non_commercial_document_is_listed_with_its_attribution(bundle: Path) -> None:
    shard = bundle / "training-data" / "train-00000.parquet"
    table = pq.read_table(shard)
    licences = table.column("license").to_pylist()
    licences[0] = "CC-BY-NC-4.0"
    index = table.schema.get_field_index("license")
    pq.write_table(table.set_column(index, "license", pa.array(licences)), shard)
    notice = "".join(release_notice(bundle))
    assert "unter CC-BY-NC-4.0: keine Namensnennung nötig" not in notice
    assert "== CC-BY-NC-4.0:" in notice and "(1 Dokument)" in notice
    first = table.column("id")[0].as_py()
    assert f"{first} | CC-BY-NC-4.0 |" in notice


@pytest.mark.parametrize(
    "licence",
    [
        "llama3.1",
        "Llama3.3 AND CC0-1.0",
        "creativeml-openrail-m",
        "bigscience-openrail-m OR LicenseRef-Proprietary",
        "CC-BY-NC-SA-3.0-IGO",
        "CC-BY-3.0-US",
        "DL-DE-BY-2.0",
        "MIT",
        "Apache-2.0 WITH LLVM-exception",
    ],
)
def test_licences_with_an_attribution_clause_need_attribution(licence: str) -> None:
    """Refused ones too: Llama's "Built with Llama", OpenRAIL-M's notices, every CC BY port."""
    assert needs_attribution(licence)


@pytest.mark.parametrize(
    "licence",
    ["CC0-1.0", "DL-DE-ZERO-2.0", "gemma", "LicenseRef-BY-me", None, ""],
)
def test_licences_without_an_attribution_clause_we_know_need_none(licence: str | None) -> None:
    assert not needs_attribution(licence)


def test_attribution_ids_are_those_of_the_spdx_list_or_of_the_hub() -> None:
    assert {"cc-by-4.0", "cc-by-nc-nd-4.0", "dl-de-by-2.0", "llama3"} <= ATTRIBUTION_REQUIRED
    assert not any(key.startswith("cc0") or "zero" in key for key in ATTRIBUTION_REQUIRED)
