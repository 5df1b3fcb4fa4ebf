"""NOTICE lists every document whose licence asks for attribution, an open one or not."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.data.publish.licenses import needs_attribution
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
