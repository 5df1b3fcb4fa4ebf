"""A name typed by someone, shown so that every character of it can be seen.

Python's `repr` showed a name's control characters (`'anna\\x1b[31m'`) but also put English
quotes around it; a message quotes a name in its reader's language („anna“, 'anna'), so the
name goes in without quotes and only what a reader could not see is escaped."""

from __future__ import annotations


def visible(value: str) -> str:
    """`value` with each character that `repr` escapes — control and format characters
    (U+202E turns text around), line breaks, spaces other than ' ' — written as repr writes
    it (\\t, \\x1b, \\u202e); everything else, umlauts too, as it is."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value
    )
