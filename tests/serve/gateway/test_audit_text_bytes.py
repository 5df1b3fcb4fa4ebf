"""A record's texts are sized as its JSONL export writes them (`audit_log._bytes`), also where
they are counted without being written as JSON: escapes, multi-byte characters and control
characters count as the export's line holds them.

The export's own count (`json.dumps`) is the measure: `_bytes` counted by it alone before it
took a short way for texts with nothing to escape, so these tests guard that short way (a
count of characters, not bytes, or a control character taken for nothing to escape, fails
them); they do not show that it is shorter."""

from __future__ import annotations

import json

import pytest

from gemeingut.serve.gateway.audit_log import _bytes, _cut

TEXTS = [
    "",
    "/v1/chat/completions",
    "Grüße aus Köln – 😀",
    'ein "Zitat" und \\ ein Backslash',
    "Zeile\nZeile\tTab\r\x00\x1f\x7f",
    "\u2028\u2029 bleiben, wie sie sind",
    "ä" * 300,
]


def written(value: str) -> int:
    """The bytes of `value` inside the export's JSON string."""
    return len(json.dumps(value, ensure_ascii=False).encode()) - 2


@pytest.mark.parametrize("value", TEXTS)
def test_a_text_counts_the_bytes_of_its_json_string(value: str) -> None:
    assert _bytes(value) == written(value)


@pytest.mark.parametrize("value", TEXTS)
def test_a_cut_text_is_the_longest_start_that_fits(value: str) -> None:
    cut = _cut(value, 10)
    assert value.startswith(cut) and len(cut) <= 10 and written(cut) <= 10
    assert cut == value or written(value[: len(cut) + 1]) > 10
