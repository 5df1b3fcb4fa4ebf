"""Whether a safetensors file is whole, read from its header alone (no tensor is loaded).

The layout is an 8-byte little-endian header length, the JSON header, then the tensors' bytes;
each tensor's `data_offsets` count from the end of the header. A file cut short in a copy or a
download keeps a readable header but ends before the last tensor does: its size is less than
8 + header length + the largest offset. Checking that is cheap, and it tells a damaged file
from one transformers cannot read for another reason.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

_HEADER_LIMIT = 100 << 20  # safetensors itself refuses a longer header


@dataclass(frozen=True)
class Layout:
    """What the header says and the file holds: `tensors` 0 where there is no readable header
    with tensors; `expected` the size in bytes the header's offsets promise."""

    tensors: int
    expected: int
    size: int

    @property
    def whole(self) -> bool:
        return self.tensors > 0 and self.expected == self.size


def layout(path: Path) -> Layout:
    """The layout of the safetensors file at `path` (OSError where it cannot be read)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        start = handle.read(8)
        length = struct.unpack("<Q", start)[0] if len(start) == 8 else 0
        header = handle.read(length) if 0 < length <= min(size - 8, _HEADER_LIMIT) else b""
    try:
        entries = json.loads(header)
    except (UnicodeDecodeError, json.JSONDecodeError):
        entries = None
    ends = _data_ends(entries)
    if not ends:
        return Layout(0, 0, size)
    return Layout(len(ends), 8 + length + max(ends), size)


def _data_ends(entries: object) -> list[int]:
    """The end offset of every tensor the header lists; [] where it is not a header of
    tensors (not an object, an entry without two integer offsets)."""
    if not isinstance(entries, dict):
        return []
    ends = []
    for name, entry in entries.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            return []
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
            return []
        ends.append(offsets[1])
    return ends


def damaged(folder: Path) -> list[Path]:
    """The safetensors files in `folder` that are not whole (cut short, no header)."""
    return [path for path in sorted(folder.glob("*.safetensors")) if not layout(path).whole]
