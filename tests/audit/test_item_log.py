"""A log cut short by a crash resumes to one record a line, as `verify` reads it back."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.audit.item_log import ItemLog


def _record(i: int) -> dict:
    return {"id": f"p{i}", "delta": i / 10, "text": "Grüße"}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_last_line_cut_by_a_crash_is_removed_before_appending(tmp_path: Path) -> None:
    log = tmp_path / "bias.jsonl"
    whole = "".join(json.dumps(_record(i), ensure_ascii=False) + "\n" for i in range(3))
    cut = json.dumps(_record(3), ensure_ascii=False)[:12]
    log.write_text(whole + cut, encoding="utf-8")
    resumed = ItemLog(log)
    assert resumed.missing([f"p{i}" for i in range(5)]) == ["p3", "p4"]
    resumed.add([_record(3), _record(4)])
    assert _lines(log) == [_record(i) for i in range(5)]  # every line parses


def test_a_cut_line_ended_by_a_newline_and_a_line_without_id_are_removed(tmp_path: Path) -> None:
    log = tmp_path / "bias.jsonl"
    log.write_text(
        json.dumps(_record(0)) + "\n" + '{"id": "p1", "del\n' + "[1, 2]\n" + json.dumps(_record(2)),
        encoding="utf-8",
    )
    resumed = ItemLog(log)
    assert resumed.missing(["p0", "p1", "p2"]) == ["p1", "p2"]
    assert _lines(log) == [_record(0)]
    resumed.add([_record(1)])
    assert _lines(ItemLog(log).path) == [_record(0), _record(1)]


def test_a_whole_log_is_left_as_it_is(tmp_path: Path) -> None:
    log = tmp_path / "bias.jsonl"
    text = "".join(json.dumps(_record(i)) + "\n" for i in range(2))
    log.write_text(text, encoding="utf-8")
    before = log.stat().st_mtime_ns
    assert ItemLog(log).missing(["p0", "p1"]) == []
    assert log.read_text(encoding="utf-8") == text and log.stat().st_mtime_ns == before
