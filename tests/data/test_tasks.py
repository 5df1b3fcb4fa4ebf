import gzip
import json
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gemeingut.data import tasks as tasks_module
from gemeingut.data.curate import curate
from gemeingut.data.line_spans import plan_line_spans
from gemeingut.data.readers import read_source
from gemeingut.data.tasks import plan_tasks
from gemeingut.recipe import DataSection, SourceSpec
from tests.corpus import WITHOUT_QUALITY_FILTERS, open_documents


def messy_jsonl(path: Path) -> Path:
    """Lines of very different lengths, a blank line, broken lines and no final newline."""
    docs = open_documents(60, seed=4)
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    lines[3] = json.dumps(dict(docs[3], text=docs[3]["text"] * 40), ensure_ascii=False)
    lines[10] = "{not json"
    lines[20] = ""
    lines[30] = json.dumps(dict(docs[5], id="again"), ensure_ascii=False)  # exact duplicate
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return path


def test_jsonl_spans_start_at_line_starts_and_cover_the_file(tmp_path: Path) -> None:
    path = messy_jsonl(tmp_path / "d.jsonl")
    data = path.read_bytes()
    spans = plan_line_spans(path, 2000)
    assert len(spans) > 5
    assert spans[0].start == 0 and spans[-1].stop == len(data)
    for before, after in pairwise(spans):
        assert before.stop == after.start and data[after.start - 1 : after.start] == b"\n"
    for span in spans:
        assert span.first_line == data[: span.start].count(b"\n") + 1


def test_a_span_boundary_on_a_line_start_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"aaaa\nbbbb\ncccc\n")
    assert [(s.start, s.stop, s.first_line) for s in plan_line_spans(path, 5)] == [
        (0, 5, 1),
        (5, 10, 2),
        (10, 15, 3),
    ]
    assert [(s.start, s.stop) for s in plan_line_spans(path, 4)] == [(0, 5), (5, 10), (10, 15)]


def test_reading_every_span_gives_the_records_of_reading_the_whole_file(tmp_path: Path) -> None:
    spec = SourceSpec(name="s", path=messy_jsonl(tmp_path / "d.jsonl"), license="CC0-1.0")

    def read(span=None) -> tuple[list, list]:
        excluded: list = []
        docs = [(d.id, d.text, d.location) for d in read_source(spec, excluded.append, span=span)]
        return docs, excluded

    whole = read()
    parts: tuple[list, list] = ([], [])
    for span in plan_line_spans(spec.path, 1500):
        docs, excluded = read(span)
        parts[0].extend(docs)
        parts[1].extend(excluded)
    assert parts == whole
    assert [e.id for e in whole[1]] == ["s/11"]  # the broken line keeps its line number


def test_only_plain_jsonl_larger_than_a_task_is_cut(tmp_path: Path) -> None:
    plain = messy_jsonl(tmp_path / "d.jsonl")
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    sources = [SourceSpec(name=p.name, path=p) for p in (plain, packed)]
    tasks = plan_tasks(sources, task_rows=100, task_bytes=2000)
    assert {t.source for t in tasks if t.span is not None} == {0}
    assert [t.source for t in tasks].count(1) == 1
    assert len(plan_tasks(sources, task_rows=100, task_bytes=10**9)) == 2


def test_a_large_jsonl_that_cannot_be_planned_is_one_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(path: Path, span_bytes: int) -> list:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(tasks_module, "plan_line_spans", unreadable)
    spec = SourceSpec(name="s", path=messy_jsonl(tmp_path / "d.jsonl"))
    # one whole-file task, whose reader then names the file in an InputError, not a traceback
    assert [t.span for t in plan_tasks([spec], task_rows=100, task_bytes=2000)] == [None]


def test_one_jsonl_in_byte_ranges_curates_to_the_same_output_as_one_task(tmp_path: Path) -> None:
    source = SourceSpec(name="s", path=messy_jsonl(tmp_path / "d.jsonl"))
    section = DataSection(sources=[source], filters=WITHOUT_QUALITY_FILTERS, shard_rows=20)
    outputs = []
    for name, task_bytes, workers in (("one", 10**9, 1), ("cut", 1500, 2)):
        out = tmp_path / name
        out.mkdir()
        stats = curate(section, out, workers=workers, task_bytes=task_bytes)
        files = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))
        }
        outputs.append((files, stats))
    (one, one_stats), (cut, cut_stats) = outputs
    assert one == cut
    assert one_stats == cut_stats  # equal values; key order may follow the cut
    assert one_stats["excluded_by_reason"] == {"invalid-record": 1, "duplicate": 1}
    reasons = pq.read_table(tmp_path / "cut" / "exclusions.parquet").to_pylist()
    assert [(r["id"], r["reason"]) for r in reasons] == [
        ("s/11", "invalid-record"),
        ("again", "duplicate"),
    ]
