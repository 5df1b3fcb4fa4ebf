"""A file sent inside a JSON request (a tender draft, base64-encoded in `file.data`): the
largest file the body limit lets through. A 3.5 MiB PDF was refused as "larger than this server
accepts (4 MiB); send less text": true of its base64 form, not of the file the person chose. The
page checks a file against this size before it reads it, and the server's refusal names it."""

from __future__ import annotations

import math

# the JSON around the file's data: its keys, and a name of up to 200 characters each written
# as a \\uXXXX escape (6 bytes)
ENVELOPE_BYTES = 2048
FILE_IN_JSON_PATHS = frozenset({"/v1/assist/tender"})  # whose body is, in practice, a file


def file_max_bytes(max_body_bytes: int) -> int:
    """The largest file whose base64 form (4 characters per 3 bytes) fits in a body of
    `max_body_bytes` with its envelope."""
    return max(0, (max_body_bytes - ENVELOPE_BYTES) // 4 * 3)


def mib(size: int) -> float:
    """`size` in MiB to one decimal, rounded down: a file of the size said is taken."""
    return math.floor(size / 1024 / 1024 * 10) / 10
