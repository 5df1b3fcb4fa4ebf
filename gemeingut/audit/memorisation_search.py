"""Which texts hold all pieces of at least one needle, found in one pass over their bytes however
many needles there are: what lets `verify` tokenize only the training documents a memorised span
can come from (`memorisation_trace.py`).

Each needle is found by its longest piece (its anchor). The texts' UTF-8 bytes are joined into
one buffer, and every 8-byte window of it is read as a 64-bit number (eight zero-copy numpy views,
one per offset modulo 8); the windows that equal a window of some anchor are kept. Of each
anchor's windows the rarest is then taken, and at each place it occurs the whole anchor is
compared: this finds every occurrence, exactly. The other pieces of a needle are looked for in
the texts that hold its anchor. An anchor shorter than a window is looked for text by text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WINDOW = 8  # bytes in a uint64
_CHUNK = 1 << 22  # windows hashed at once (32 MB)
_BITS = 22  # buckets of the hash filter (4 MB)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
_SHIFT = np.uint64(64 - _BITS)


def holding(texts: Sequence[str], needles: Sequence[Sequence[str]]) -> dict[int, set[str]]:
    """The texts that hold every piece of at least one needle, each with the anchors (longest
    pieces) of the needles it holds; a needle without pieces is held by every text (with no
    anchor: it is nowhere in particular)."""
    kept: dict[int, set[str]] = {}
    if any(not needle for needle in needles):
        kept = {i: set() for i in range(len(texts))}
    anchors = {max(needle, key=_size) for needle in needles if needle}
    found = _anchored(texts, anchors)
    for needle in filter(None, needles):
        anchor = max(needle, key=_size)
        others = [piece for piece in needle if piece != anchor]
        for i in found[anchor]:
            if all(p in texts[i] for p in others):
                kept.setdefault(i, set()).add(anchor)
    return dict(sorted(kept.items()))


def _anchored(texts: Sequence[str], anchors: set[str]) -> dict[str, set[int]]:
    """For each anchor, the texts that hold it."""
    short = {a for a in anchors if _size(a) < WINDOW}
    found = {a: {i for i, t in enumerate(texts) if a in t} for a in short}
    long = {a: a.encode("utf-8", "surrogatepass") for a in anchors - short}
    if not long:
        return found
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    blob = b"\0".join(encoded)
    starts = np.cumsum([0] + [len(t) + 1 for t in encoded[:-1]])
    del encoded
    positions, keys = _window_hits(blob, _windows(list(long.values())))
    order = np.argsort(keys, kind="stable")
    positions, keys = positions[order], keys[order]
    for anchor, anchor_bytes in long.items():
        found[anchor] = _texts_with(blob, starts, anchor_bytes, positions, keys)
    return found


def _texts_with(
    blob: bytes, starts: np.ndarray, anchor: bytes, positions: np.ndarray, keys: np.ndarray
) -> set[int]:
    """The texts holding `anchor`, from the places of its rarest window."""
    ranges = []
    for offset in range(len(anchor) - WINDOW + 1):
        key = _key(anchor[offset : offset + WINDOW])
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        ranges.append((hi - lo, offset, lo, hi))
    _, offset, lo, hi = min(ranges)
    texts: set[int] = set()
    for place in positions[lo:hi]:
        start = int(place) - offset
        if start >= 0 and blob[start : start + len(anchor)] == anchor:
            texts.add(int(np.searchsorted(starts, start, "right")) - 1)
    return texts


def _window_hits(blob: bytes, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every place in `blob` where an 8-byte window is one of `wanted`, and that window."""
    table = np.zeros(1 << _BITS, dtype=bool)
    table[_hash(wanted)] = True
    positions, keys = [np.empty(0, np.int64)], [np.empty(0, np.uint64)]
    for residue in range(WINDOW):
        count = (len(blob) - residue) // WINDOW
        if count <= 0:
            continue
        windows = np.frombuffer(blob, dtype="<u8", count=count, offset=residue)
        for first in range(0, count, _CHUNK):
            chunk = windows[first : first + _CHUNK]
            candidates = np.flatnonzero(table[_hash(chunk)])
            values = chunk[candidates]
            exact = np.isin(values, wanted)
            positions.append(residue + WINDOW * (first + candidates[exact].astype(np.int64)))
            keys.append(values[exact].astype(np.uint64))
    return np.concatenate(positions), np.concatenate(keys)


def _windows(anchors: list[bytes]) -> np.ndarray:
    keys = {_key(a[i : i + WINDOW]) for a in anchors for i in range(len(a) - WINDOW + 1)}
    return np.array(sorted(keys), dtype=np.uint64)


def _hash(values: np.ndarray) -> np.ndarray:
    return ((values * _MULTIPLIER) >> _SHIFT).astype(np.intp)


def _key(window: bytes) -> np.uint64:
    return np.uint64(int.from_bytes(window, "little"))


def _size(piece: str) -> int:
    return len(piece.encode("utf-8", "surrogatepass"))
