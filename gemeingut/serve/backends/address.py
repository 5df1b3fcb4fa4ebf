"""An engine's URL as it may be shown: to the operator at start, in the server's log, in the
database's settings and in the record of processing activities.

`--upstream` may carry the engine's credentials (`http://svc:secret@gpu:8000`, or a token in
the query: `?api_key=…`); they go to the engine and nowhere else. What is shown is scheme,
host, port and path. Clients see no address at all (`upstream.py`): an engine's host name is
the provider's internal network.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def shown_address(url: str) -> str:
    """`url` without user, password, query and fragment: `http://gpu-1:8000/v1`."""
    parts = urlsplit(url if "://" in url else "//" + url)  # no scheme: still a host first
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:  # not a number: not shown, whatever it holds
        port = None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
