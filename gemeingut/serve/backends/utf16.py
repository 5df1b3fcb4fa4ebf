"""An engine's JSON read as text that can be written on.

A JSON string is UTF-16: any `\\uXXXX` escape is valid JSON, also half of a surrogate pair
(`"\\ud83d"`), and an engine that splits its text by UTF-16 code units (one written in
JavaScript, Java or C#) sends an emoji's halves in two stream events. `json.loads` reads such a
half as a lone surrogate, which no UTF-8 writer takes (the client's socket, SQLite, PostgreSQL,
the log, the engine's own `/tokenize`): the gateway's stream broke off at it, an answer was a
500. So what an engine sends is read as a UTF-16 decoder reads it: the halves of a pair make
their character, also where a stream's pieces split them, and a half without its other half is
U+FFFD (as an engine writes for bytes that make no character). The client, the count of what
was relayed and the content log then get the same text. Not passed on as the escape it came
as: a Python client would hold the same unwritable string, and no database could keep it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# The escape of a half: without one, `json.loads` makes no surrogate (UTF-8 has none).
_HALF = r"\\u[dD][89abcdefABCDEF]"
_HALVES = re.compile(_HALF)
_HALVES_BYTES = re.compile(_HALF.encode())
_FIRST_HALVES = ("\ud800", "\udbff")


def has_halves(raw: str | bytes) -> bool:
    """Whether JSON `raw` escapes a half of a surrogate pair (looked for once per body or
    event: the strings are walked only where one is)."""
    if isinstance(raw, bytes):
        return _HALVES_BYTES.search(raw) is not None
    return _HALVES.search(raw) is not None


def loads(raw: str | bytes) -> Any:
    """JSON `raw` with every string, keys too, whole text (`whole`)."""
    data = json.loads(raw)
    return whole(data) if has_halves(raw) else data


def whole(data: Any) -> Any:
    """`data` read from JSON, with the halves in its strings read as UTF-16 reads them."""
    if isinstance(data, str):
        return whole_text(data)
    if isinstance(data, list):
        return [whole(item) for item in data]
    if isinstance(data, dict):
        return {whole_text(key): whole(value) for key, value in data.items()}
    return data


def whole_text(text: str) -> str:
    """`text` with each pair of halves as its character, and each half alone as U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class Halves:
    """The pieces of one stream as whole text: a piece that ends with a pair's first half keeps
    it back and gives it to the next piece, which may begin with the second."""

    def __init__(self) -> None:
        self.held = ""

    def joined(self, piece: str) -> str:
        """`piece` as whole text, after what the piece before it kept back ("" where all of it
        is kept back)."""
        piece, self.held = self.held + piece, ""
        if piece and _FIRST_HALVES[0] <= piece[-1] <= _FIRST_HALVES[1]:
            piece, self.held = piece[:-1], piece[-1]
        return whole_text(piece)

    def rest(self) -> str:
        """What is still kept back at the stream's end: a first half that no second followed
        (U+FFFD), or ""."""
        held, self.held = self.held, ""
        return whole_text(held)
