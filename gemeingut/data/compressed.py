"""Compressed inputs read as plain byte streams: gzip and zstd (also several frames in a row)."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import IO, Any

import zstandard


class _ZstdStream(io.RawIOBase):
    """A .zst file decompressed as a stream, frame after frame.

    zstandard's own `stream_reader` ends quietly when a file is cut off mid-frame, which would
    lose the last records without a trace; this one raises `EOFError`, as `gzip` does.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._decompressor = zstandard.ZstdDecompressor(max_window_size=1 << 31)
        self._frame = self._decompressor.decompressobj()
        self._in_frame = False
        self._data = b""
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while self._position >= len(self._data):
            chunk = self._handle.read(1 << 17)
            if not chunk:
                if self._in_frame:
                    raise EOFError("the file ends in the middle of a zstd frame")
                return 0
            self._data, self._position = self._decompress(chunk), 0
        size = min(len(target), len(self._data) - self._position)
        target[:size] = self._data[self._position : self._position + size]
        self._position += size
        return size

    def _decompress(self, chunk: bytes) -> bytes:
        parts = []
        while chunk:
            self._in_frame = True
            parts.append(self._frame.decompress(chunk))
            if not self._frame.eof:
                break
            self._in_frame = False
            chunk = self._frame.unused_data
            self._frame = self._decompressor.decompressobj()
        return b"".join(parts)

    def close(self) -> None:
        self._handle.close()
        super().close()


COMPRESSED_SUFFIXES = (".gz", ".zst")
# Fine-tuning files read as JSON Lines, one example a line, plain or compressed: what
# `model/finetune_data.py` reads and the release's evidence (torch-free) counts.
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".ndjson")
# What reading a damaged or truncated (compressed) file can raise.
STREAM_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def is_compressed(path: Path) -> bool:
    """Whether `open_compressed` decompresses this file (then it cannot be cut into ranges)."""
    return path.name.lower().endswith(COMPRESSED_SUFFIXES)


def open_compressed(path: Path) -> IO[bytes]:
    """A binary stream of the file's content, decompressing .gz and .zst on the fly."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        return io.BufferedReader(_ZstdStream(path.open("rb")), buffer_size=1 << 20)
    return path.open("rb")
