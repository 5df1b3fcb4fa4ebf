"""What is refused before any route runs: a foreign `Host` header, an oversized body, and a
body that is not plain JSON.

A server on 127.0.0.1 is reachable from any web page the user opens, through DNS rebinding (a
hostile name that resolves to 127.0.0.1), unless it checks the `Host` header; so the header must
name an allowed host. Not for `/health` and `/ready`: a load balancer probes them by the
machine's address, or without a Host header at all (HAProxy's `option httpchk` sends HTTP/1.0),
and they tell nothing a page could use (no engine address, no data). A body is read up to
`max_body_bytes` and no further: without a bound, a 16 MiB prompt cost 44 s and 3.7 GiB before
its 400. Both answers are OpenAI's error shape. A document's upload (`collection_documents.py`)
is the one body that is a file: it is not JSON, and it is bounded by the upload limit instead
(refused as too large where uploads are off).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gemeingut.errors import InputError
from gemeingut.i18n import Message as Text
from gemeingut.i18n import _, accepted_language, text
from gemeingut.serve.file_in_json import FILE_IN_JSON_PATHS, file_max_bytes
from gemeingut.serve.file_in_json import mib as file_mib
from gemeingut.serve.http_errors import error_response
from gemeingut.serve.limits import DEFAULT_MAX_BODY_BYTES
from gemeingut.serve.request_id import HEADER, REQUEST_ID, request_id_for
from gemeingut.serve.schemas import ErrorDetail

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# A DNS name as a Host header carries it (labels of letters, digits, hyphens; `_` occurs).
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")
UPLOAD_PATH = re.compile(r"^/v1/collections/[^/]+/documents$")  # POST: a file, not JSON
PROBES = frozenset({"/health", "/ready"})  # answered whatever the Host header says


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The host names a request may address: the loopback names, the address the server is
    bound to, and what the operator adds (each as `allowed_host` reads it). None (every host)
    only when the operator says `*`."""
    extra = [allowed_host(h) for h in extra]
    if "*" in extra:
        return None
    names = {*LOOPBACK_NAMES, *extra}
    if bind_host not in ("0.0.0.0", "::", ""):
        names.add(bind_host.strip("[]").lower())
    return frozenset(names)


def allowed_host(value: str) -> str:
    """What a `Host` header must name for `value` of `--allowed-host`: the host name, lower
    case, without a URL's scheme and path or a port (`https://KI.amt.de/x` and `ki.amt.de:443`
    are `ki.amt.de`; `[::1]:8000` is `::1`), since a header is compared by its host alone.
    A value that can name no host (empty, spaces, other characters) is an `InputError`, said
    at start: otherwise every request to that name would be a 400."""
    name = value.strip()
    if "://" in name:
        name = urlsplit(name).netloc.rpartition("@")[2]
    name = re.split(r"[/?#]", name, maxsplit=1)[0].lower()
    if name == "*":
        return name
    port = ""
    if name.startswith("[") and "]" in name:
        name, _bracket, port = name[1:].partition("]")
        port = port[1:] if port.startswith(":") else port and "?"  # `]x`: no port
    elif name.count(":") == 1:
        name, _colon, port = name.partition(":")
    name = _ascii(name.rstrip("."))  # `ki.amt.de.`: the same name; `bürgeramt.de`: punycode
    if (not port or port.isdigit()) and (_is_address(name) or HOST_NAME.fullmatch(name)):
        return name
    raise InputError(
        _("--allowed-host {value!r} is not a host name", value=value),
        _(
            "give the name clients address, e.g. ki.amt.de, 10.0.0.5 or [2001:db8::1] (a "
            "port or a URL is reduced to its host name), or '*' for any"
        ),
    )


def _ascii(name: str) -> str:
    """An internationalised name as a Host header carries it (`xn--…`); `name` where it
    cannot be one (it is refused as it is)."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """`example.org:8000` -> `example.org`, `[::1]:8000` -> `::1`; `example.org.` (a fully
    qualified name, as a client may send it) -> `example.org`, as `allowed_host` reads it."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    return name.removesuffix(".")


class RequestGuard:
    """ASGI middleware: Host allow-list and body-size limit (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: frozenset[str] | None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        upload_max_bytes: int | None = None,
        keys_required: bool = False,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.max_body_bytes = max_body_bytes
        self.upload_max_bytes = upload_max_bytes
        self.keys_required = keys_required  # a gateway: an upload's larger limit needs a key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        if (refused := self._foreign_host(scope, headers)) is not None:
            await refuse(scope, receive, send, 400, *refused)
            return
        upload = scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]) is not None
        # the larger limit only for who may upload at all: without a key a body is held in
        # memory only as far as any request's
        signed = b"authorization" in headers or not self.keys_required
        as_file = bool(upload and self.upload_max_bytes and signed)
        limit = self.upload_max_bytes if as_file else self.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit, as_file)
            return
        body = bytearray()
        more = scope["method"] not in ("GET", "HEAD", "OPTIONS")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._too_large(scope, receive, send, limit, as_file)
                return
        if body and (problem := _not_taken(scope, headers, upload)) is not None:
            await refuse(scope, receive, send, 415, problem, "unsupported_media_type")
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _foreign_host(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[Text, str] | None:
        """Why the request's `Host` header is refused, and the error's code; None: it is not."""
        if self.hosts is None or scope["path"] in PROBES:
            return None
        sent = headers.get(b"host")
        if sent is None or not sent.strip():
            missing = _(
                "the request has no Host header; send the name of this server in it (every "
                "HTTP/1.1 client does)"
            )
            return missing, "missing_host"
        host = host_name(sent.decode("latin-1"))
        if host in self.hosts:
            return None
        foreign = _(
            "the Host header {host!r} is not one this server answers to; the operator "
            "can allow it with `gemeingut serve --allowed-host NAME`",
            host=host,
        )
        return foreign, "host_not_allowed"

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, limit: int, as_file: bool
    ) -> None:
        mib: str | float = f"{limit / 1024 / 1024:g}"
        if scope["path"] in FILE_IN_JSON_PATHS:  # a file in JSON: its size, not its base64's
            as_file, mib = True, file_mib(file_max_bytes(limit))
        message = (
            _("the file is larger than this server takes ({limit} MiB)", limit=mib)
            if as_file
            else _(
                "the request body is larger than this server accepts ({limit} MiB); send less text",
                limit=mib,
            )
        )
        await refuse(scope, receive, send, 413, message, "request_too_large")


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: Text,
    code: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer in OpenAI's error shape, in the language the request's `Accept-Language` prefers,
    before (or instead of) the app; with the request's id, also where the refusal comes
    before the request's context (a connection over the limit, `connections.py`)."""
    sent = {k.lower(): v for k, v in scope["headers"]}
    language = accepted_language(sent.get(b"accept-language", b"").decode("latin-1"))
    detail = ErrorDetail(message=text(message, language), code=code)
    if REQUEST_ID.get() is not None:  # the request's context sends the header
        await error_response(status, detail, headers)(scope, receive, send)
        return
    request_id = request_id_for(sent.get(HEADER.encode()))
    token = REQUEST_ID.set(request_id)
    try:
        answer = error_response(status, detail, {**(headers or {}), HEADER: request_id})
    finally:
        REQUEST_ID.reset(token)
    await answer(scope, receive, send)


def _not_taken(scope: Scope, headers: dict[bytes, bytes], upload: bool) -> Text | None:
    """Why a body is not taken as what its route reads: a file (an upload) or JSON."""
    return _not_a_file(scope, headers) if upload else _not_plain_json(headers)


def _not_plain_json(headers: dict[bytes, bytes]) -> Text | None:
    """Why a body cannot be read as the JSON every route takes, if it cannot: another declared
    type (curl's `-d` sends a form) or a compressed body. Read as JSON anyway, such a body
    would be refused for a reason that sends the client looking in the wrong place."""
    declared = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    if declared and declared != "application/json" and not declared.endswith("+json"):
        return _(
            "the request body is declared as {type}; send JSON with the header "
            "'Content-Type: application/json'",
            type=declared,
        )
    return _compressed(headers)


# What a web page of any other site may send without the browser asking this server first
# (CORS "simple" requests): an upload in one of these could plant a document from such a page.
_CROSS_SITE_TYPES = ("", "text/plain", "multipart/form-data", "application/x-www-form-urlencoded")


def _not_a_file(scope: Scope, headers: dict[bytes, bytes]) -> Text | None:
    """Why an upload's body is not taken as the file it claims to be: a form or a text a page
    of another site can send unasked (and curl's `-d`/`-F` would store form syntax as the
    document's text), or a compressed body. The example to copy is this request's address,
    with the file's name and the key's header where it sent one."""
    from gemeingut.serve.collection_documents import upload_example

    declared = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    if declared and declared not in _CROSS_SITE_TYPES:
        return _compressed(headers)
    address = str(URL(scope=scope).replace(query=""))
    example = upload_example(address, keyed=b"authorization" in headers)
    if not declared:
        return _(
            "a document is sent as the request body with a file type (Content-Type): e.g. "
            "{example}",
            example=example,
        )
    return _(
        "a document is sent as the request body with a file type, not as {type}: e.g. {example}",
        type=declared,
        example=example,
    )


def _compressed(headers: dict[bytes, bytes]) -> Text | None:
    encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
    if encoding not in ("", "identity"):
        return _(
            "the request body is compressed ({encoding}); this server takes it uncompressed",
            encoding=encoding,
        )
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the buffered body to the app once, then listens for a
    disconnect as before (streams need it to stop generating)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
