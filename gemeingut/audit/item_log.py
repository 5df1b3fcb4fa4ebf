"""Finished items of one suite, appended as JSON lines, so an interrupted audit resumes.

Each chunk of items is written (and fsynced) as soon as it is scored; a rerun of the same audit
reads the log and sends only what is missing. A line cut short by a crash (no newline, or not
a record) is removed when the log is opened again: appended after, the next record would share
its line, and the log the bundle ships would no longer be one record a line, as `verify` reads
it. At most the chunk in flight is scored again. Each chunk written is also told to `on_add`
(the audit's progress bar), so a suite shows how far it is without a hook of its own.

A rerun says how many items it found scored (it went on without a word), and a Ctrl-C says
that those scored are kept (`interrupted_note`; it ended with exit 130 and no word).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _, text
from gemeingut.progress import console

# The logs this process opened, for `interrupted_note`
_opened: set[Path] = set()


class ItemLog:
    def __init__(self, path: Path, on_add: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.on_add = on_add
        self.records: dict[str, dict[str, Any]] = {}
        if path.is_file():
            self._read()
        self._resumed_said = False
        _opened.add(path)

    def _read(self) -> None:
        """The complete records; lines that are not one (a crash's remains) are removed from
        the file, so that every line of it is a record again."""
        data = self.path.read_bytes()
        kept: list[bytes] = []
        for line in data.splitlines(keepends=True):
            try:
                record = json.loads(line) if line.endswith(b"\n") else None
                self.records[record["id"]] = record
            except (ValueError, TypeError, KeyError):  # cut short (no newline, or not JSON)
                continue
            kept.append(line)
        if len(kept) < len(data.splitlines()):
            partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            with partial.open("wb") as out:
                out.write(b"".join(kept))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path)

    def missing(self, ids: Iterable[str]) -> list[str]:
        """The items of `ids` not scored yet; the first time some were, a rerun says so."""
        ids = list(ids)
        todo = [i for i in ids if i not in self.records]
        if len(todo) < len(ids) and not self._resumed_said:
            said = _(
                "resuming {name}: {done} of {total} entries already scored",
                name=self.path.stem,
                done=len(ids) - len(todo),
                total=len(ids),
            )
            console.print(f"  {text(said)}", highlight=False, soft_wrap=True, markup=False)
        self._resumed_said = True
        return todo

    def add(self, records: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.records[record["id"]] = record
            out.flush()
            os.fsync(out.fileno())
        if self.on_add is not None:
            self.on_add(len(records))

    def ordered(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return [self.records[i] for i in ids]


def journal(path: Path) -> None:
    """Count `path` among the logs this process keeps answers in, where a suite keeps them in a
    file of its own (lm-eval's request cache): a Ctrl-C then says the same command resumes."""
    _opened.add(path)


def say_resumed(name: str, done: int, total: int) -> None:
    """What a rerun says where it finds `done` of a suite's `total` requests answered."""
    said = _(
        "resuming {name}: {done} of {total} requests already answered",
        name=name,
        done=done,
        total=total,
    )
    console.print(f"  {text(said)}", highlight=False, soft_wrap=True, markup=False)


def interrupted_note() -> Message:
    """What a command stopped by Ctrl-C says: where this process logged scored items in a log
    that stays (an audit's, not a check's in a temporary folder), that they are kept and the
    same command goes on from them."""
    if any(path.is_file() for path in _opened):
        return _("interrupted; the entries already scored are saved, the same command resumes")
    return _("interrupted")
