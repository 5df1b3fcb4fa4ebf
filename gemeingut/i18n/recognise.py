"""An English sentence that a record stored (the details in `openness.json`), found again in
the catalogue, so that a German message quoting it says it in German.

Records keep their English (`Recorded`), which a reader is shown as the message it came from
while that message is at hand. A record read back from a file has only the words: they are
matched against the catalogue's English templates, the most specific first, and the values
taken from the words; a sentence that no template gives stays as it was written.
"""

from __future__ import annotations

import re
from functools import cache

from gemeingut.i18n import Message, translations

_FIELD = re.compile(r"\{(\w+)(![rsa])?(:[^}]*)?\}")
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+|\d+")  # a whole number as English writes it
_DECIMAL = re.compile(r"\d+\.\d+")
_COUNTS = {"count", "number", "total", "checked"}  # placeholders that only numbers fill
_WORD = re.compile(r"[a-z]{3,}")  # a word of a sentence, standing on its own
_AROUND = "()[]{},;:.!?'\"„“‚‘"  # what stands around a word in a sentence, not inside a name
_DEPTH = 3  # messages inside messages, as the rating nests them


def recognised(english: str, depth: int = _DEPTH) -> Message | str:
    """The catalogue's message whose English is `english`, with its values; else `english`.
    The most literal template wins whose values are each a name, a number or a sentence of
    the catalogue in turn: a sentence is said in one language, never half translated."""
    for pattern, msgid, _length in _templates():
        found = pattern.fullmatch(english)
        if found is None:
            continue
        values = {name: _value(v, depth - 1) for name, v in found.groupdict().items()}
        if not any(isinstance(v, str) and _prose(v) for v in values.values()):
            return Message(msgid, values)
    return english


def _value(written: str, depth: int) -> Message | str | int | float:
    """A value as the message had it: a number as a number (written again as the reader's
    language writes it), a sentence as its message."""
    if _GROUPED.fullmatch(written):
        return int(written.replace(",", ""))
    if _DECIMAL.fullmatch(written):
        return float(written)
    if depth > 0 and _prose(written):
        return recognised(written, depth)
    return written


def _prose(written: str) -> bool:
    """Whether `written` holds a word of a sentence (English left untranslated if it stood in
    a placeholder), not only names: a path (`model/LICENSE`), a URI, an id (`training-data`)
    is one token whose lowercase letters are no word of their own."""
    return any(_WORD.fullmatch(token.strip(_AROUND)) for token in written.split())


@cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    """Each translated message's English as a pattern, with the length of its own words,
    the most literal first (one of placeholders alone would match anything)."""
    found = []
    for msgid in translations("de"):
        own = _FIELD.sub("", msgid) if isinstance(msgid, str) else ""
        pattern = _pattern(msgid) if own.strip() else None
        if pattern is not None:
            found.append((pattern, msgid, len(own)))
    return sorted(found, key=lambda item: -item[2])


def _pattern(msgid: str) -> re.Pattern[str] | None:
    """`msgid` as a regular expression; None for one with format specs (their values cannot
    be taken back from the words) or braces that are no placeholders."""
    parts, seen, at = [], set(), 0
    for field in _FIELD.finditer(msgid):
        literal = msgid[at : field.start()]
        if field.group(3) or "{" in literal or "}" in literal:
            return None
        parts.append(re.escape(literal))
        name = field.group(1)
        taken = r"[\d.,]+" if name in _COUNTS else ".+?"
        group = f"(?P={name})" if name in seen else f"(?P<{name}>{taken})"
        parts.append(f"'{group}'" if field.group(2) == "!r" else group)
        seen.add(name)
        at = field.end()
    rest = msgid[at:]
    if "{" in rest or "}" in rest:
        return None
    parts.append(re.escape(rest))
    try:
        return re.compile("".join(parts), re.DOTALL)
    except re.error:
        return None
