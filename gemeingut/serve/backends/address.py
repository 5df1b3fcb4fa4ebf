"""An engine's URL: checked as `--upstream` gives it, and as it may be shown: to the operator
at start, in the server's log, in the database's settings and in the record of processing
activities.

`--upstream` may carry the engine's credentials (`http://svc:secret@gpu:8000`, or a token in
the query: `?api_key=…`); they go to the engine and nowhere else. What is shown is scheme,
host, port and path. Clients see no address at all (`upstream.py`): an engine's host name is
the provider's internal network.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

SCHEMES = ("http", "https")
EXAMPLE = "http://gpu-node:8000"
SLASHES_WRONG = re.compile(r"(https?):/*", re.IGNORECASE)  # `http:/gpu`, `http:gpu`


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


def engine_address(url: str) -> str:
    """`url` (without surrounding spaces) where it can reach an engine: http or https, a host,
    a port from 1 to 65535. Checked before anything starts: the HTTP client reads `gpu:8000`
    as the scheme `gpu`, and the engine would be said to be unreachable."""
    try:
        return _checked(url.strip())
    except ValueError:  # urllib's: a bracket without its pair, a host not IPv6 in brackets
        raise InputError(
            _(
                "--upstream: the address cannot be read as a URL (an IPv6 address stands "
                "between square brackets)"
            ),
            _("e.g. --upstream {example}", example="http://[::1]:8000"),
        ) from None


def _checked(url: str) -> str:
    """`engine_address` of a `url` without surrounding spaces; urllib's ValueError where it
    cannot split it (its text is English and may repeat credentials: not shown)."""
    if not url:
        raise InputError(
            _("--upstream names no address"), _("e.g. --upstream {example}", example=EXAMPLE)
        )
    if "://" not in url:
        wrong = SLASHES_WRONG.match(url)
        with_scheme = f"{wrong[1]}://{url[wrong.end() :]}" if wrong else "http://" + url
        example = _as_typed(urlsplit(with_scheme)) if _problem(with_scheme) is None else EXAMPLE
        raise InputError(
            _(
                "--upstream {url}: an engine's address starts with http:// or https://",
                url=_as_typed(urlsplit("//" + url)).removeprefix("//"),
            ),
            _("e.g. --upstream {example}", example=example),
        )
    problem = _problem(url)
    if problem is not None:
        raise InputError(problem, _("e.g. --upstream {example}", example=EXAMPLE))
    return url


def _problem(url: str) -> Message | None:
    """What keeps `url` (with `://`) from naming an engine, or None."""
    parts = urlsplit(url)
    shown = _as_typed(parts)
    if parts.scheme.lower() not in SCHEMES:
        return _(
            "--upstream {url}: an engine's address starts with http:// or https://, not "
            "{scheme}://",
            url=shown,
            scheme=parts.scheme,
        )
    if any(c.isspace() for c in url):
        return _("--upstream {url}: an address holds no spaces", url=shown)
    if not parts.hostname:
        return _("--upstream {url}: the address names no host", url=shown)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return _("--upstream {url}: the port must be a number from 1 to 65535", url=shown)
    return None


def _as_typed(parts: SplitResult) -> str:
    """The address as written, without user, password, query and fragment (which may hold
    credentials): `http://gpu:80x0`, where `shown_address` leaves out a port that is no
    number."""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
