from pathlib import Path

from gemeingut.data.documents import DOCUMENT_COLUMNS
from gemeingut.data.publish.notice import write_notice
from gemeingut.data.shards import iter_split
from gemeingut.data.splits import SPLITS


def kept(dataset: Path) -> list[dict]:
    return [row for split in SPLITS for row in iter_split(dataset, split, DOCUMENT_COLUMNS)]


def test_notice_lists_every_attribution_document_and_no_cc0_one(dataset: Path, published) -> None:
    notice = (dataset / "NOTICE").read_text(encoding="utf-8")
    lines = set(notice.splitlines())
    rows = kept(dataset)
    attributed = [r for r in rows if r["license"] in ("CC-BY-4.0", "DL-DE-BY-2.0", "CC-BY-SA-4.0")]
    assert len(attributed) == 9 and published["attributions"] == 9
    for row in attributed:
        assert f"{row['id']} | {row['license']} | {row['attribution']} | {row['url']}" in lines
    for row in rows:
        if row["license"] == "CC0-1.0":
            assert row["id"] not in notice
    assert "nc-000" not in notice  # refused, so not in the dataset at all


def test_notice_groups_lines_under_licence_name_and_text(dataset: Path, published) -> None:
    notice = (dataset / "NOTICE").read_text(encoding="utf-8")
    groups = [line for line in notice.splitlines() if line.startswith("== ")]
    assert groups == [
        "== CC-BY-4.0: Creative Commons Attribution 4.0 International (3 documents)",
        "== CC-BY-SA-4.0: Creative Commons Attribution-ShareAlike 4.0 International (3 documents)",
        "== DL-DE-BY-2.0: Data licence Germany – attribution – version 2.0 (3 documents)",
    ]
    assert "Licence text: https://spdx.org/licenses/CC-BY-SA-4.0.html" in notice
    sa_group = notice.split("== CC-BY-SA-4.0")[1].split("\n== ")[0]
    assert all("| CC-BY-SA-4.0 |" in line for line in sa_group.splitlines()[2:] if line)
    assert "15 documents under CC0-1.0: no attribution required." in notice


def test_a_line_break_in_an_attribution_cannot_break_the_format(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "shards").mkdir()
    row = {c: None for c in DOCUMENT_COLUMNS} | {
        "id": "x", "text": "t", "license": "CC-BY-4.0", "attribution": "A\nB | C", "url": "u",
    }  # fmt: skip
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "shards" / "train-00000.parquet")
    assert write_notice(tmp_path, tmp_path / "NOTICE") == 1
    assert "x | CC-BY-4.0 | A B | C | u\n" in (tmp_path / "NOTICE").read_text()
