"""Finished items of one suite, appended as JSON lines, so an interrupted audit resumes.

Each chunk of items is written (and fsynced) as soon as it is scored; a rerun of the same audit
reads the log and sends only what is missing. A line cut short by a crash is ignored, so at most
the chunk in flight is scored again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ItemLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, Any]] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # the last line of a crashed run
                    continue
                self.records[record["id"]] = record

    def missing(self, ids: Iterable[str]) -> list[str]:
        return [i for i in ids if i not in self.records]

    def add(self, records: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.records[record["id"]] = record
            out.flush()
            os.fsync(out.fileno())

    def ordered(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return [self.records[i] for i in ids]
