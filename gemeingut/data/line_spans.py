"""Cut an uncompressed JSONL file into byte ranges that start and end at line starts.

One large JSONL file is then read by several workers, as a Parquet file is read in row ranges.
Every span knows the number of its first line, so locations and fallback ids (`source/line`)
are the same as when one reader reads the whole file. Planning reads the file once, in chunks,
to count lines; a compressed file cannot be entered in the middle and stays one task.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_CHUNK = 16 * 2**20  # bytes read at a time while planning: memory stays bounded for any line


@dataclass(frozen=True)
class LineSpan:
    """Bytes [start, stop) of a file, both at line starts; `first_line` counts from 1."""

    start: int
    stop: int
    first_line: int


def plan_line_spans(path: Path, span_bytes: int) -> list[LineSpan]:
    """Consecutive spans of about `span_bytes` each (one line longer makes its span longer)."""
    size = path.stat().st_size
    spans: list[LineSpan] = []
    start, line = 0, 1
    with path.open("rb") as handle:
        while start < size:
            stop = _next_line_start(handle, start + span_bytes, size)
            spans.append(LineSpan(start, stop, line))
            line += _count_newlines(handle, start, stop)
            start = stop
    return spans or [LineSpan(0, 0, 1)]


def _next_line_start(handle: IO[bytes], position: int, size: int) -> int:
    """The first line start at or after `position` (the end of the file if none)."""
    if position >= size:
        return size
    handle.seek(position - 1)  # a newline just before `position` makes it a line start
    offset = position - 1
    while chunk := handle.read(1 << 20):
        found = chunk.find(b"\n")
        if found >= 0:
            return offset + found + 1
        offset += len(chunk)
    return size


def _count_newlines(handle: IO[bytes], start: int, stop: int) -> int:
    handle.seek(start)
    count, left = 0, stop - start
    while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count


class _Window(io.RawIOBase):
    """A file's bytes [start, stop) as a stream that ends at `stop`."""

    def __init__(self, handle: IO[bytes], start: int, stop: int) -> None:
        handle.seek(start)
        self._handle = handle
        self._left = stop - start

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        size = min(len(target), self._left)
        if size <= 0:
            return 0
        read = self._handle.readinto(memoryview(target)[:size]) or 0
        self._left -= read
        return read

    def close(self) -> None:
        self._handle.close()
        super().close()


def open_span(path: Path, span: LineSpan) -> IO[bytes]:
    """A buffered binary stream of one span of the file."""
    return io.BufferedReader(_Window(path.open("rb", buffering=0), span.start, span.stop))
