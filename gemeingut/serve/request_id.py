"""Each HTTP request's id: in its `x-request-id` response header, in its error body
(`error.request_id`) and in its audit records (`x_request_id`), so that support can find the
record of the answer a person got.

The id is random (`req_` and 28 hex digits): nothing about the person, the key or the time can
be read out of it. A reverse proxy's own id (nginx's `$request_id`: 32 hex digits) is taken
instead where it is a short token of letters, digits, `-` and `_`, so that the proxy's log and
the audit log name a request alike; anything else (longer, an address with `.` or `:`, free
text that would plant what a client wants in the log) gets a new id. At most 32 characters:
an exported record stays under 0.5 KB (`audit_log.RECORD_BYTES`).
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

HEADER = "x-request-id"
MOST_CHARS = 32
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{8,{MOST_CHARS}}}")
# The id of the request being served; None outside a request (`gemeingut admin`).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_for(sent: bytes | None) -> str:
    """The id of a request whose `x-request-id` header is `sent` (None: none): the proxy's
    where it is a short safe token, else a new one."""
    if sent is not None:
        value = sent.decode("latin-1").strip()
        if _TOKEN.fullmatch(value):
            return value
    return "req_" + secrets.token_hex(14)
