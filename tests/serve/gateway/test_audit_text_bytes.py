"""A record's texts are sized as its JSONL export writes them (`audit_log._bytes`), also where
they are counted without being written as JSON: escapes, multi-byte characters and control
characters count as the export's line holds them."""

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


@pytest.mark.parametrize("value", TEXTS)
def test_a_text_counts_the_bytes_of_its_json_string(value: str) -> None:
    assert _bytes(value) == len(json.dumps(value, ensure_ascii=False).encode()) - 2


@pytest.mark.parametrize("value", TEXTS)
def test_a_cut_text_fits_its_bytes_and_characters(value: str) -> None:
    cut = _cut(value, 10)
    written = json.dumps(cut, ensure_ascii=False).encode()
    assert value.startswith(cut) and len(cut) <= 10 and len(written) - 2 <= 10
    assert cut == value[: len(cut)] and (cut == value or _bytes(value[: len(cut) + 1]) > 10)
