"""An OpenAI-compatible endpoint as the collections use it: a key, JSON calls, our errors.

Both the embedder (`/v1/embeddings`) and answering (`/v1/chat/completions`, `/tokenize`) talk
to such an endpoint; a failure is an `InputError` saying which endpoint and what to check: the
server's own message (not its JSON), a refused key as a key to set, a server that does not
answer in words, not as the system's English ("[Errno 111] Connection refused").
"""

from __future__ import annotations

import os
import socket
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

KEY_ENV = "GEMEINGUT_API_KEY"
OPENAI_KEY_ENV = "OPENAI_API_KEY"  # the openai client's and lm-eval's: one key set for all


def endpoint_key() -> str | None:
    """The key for an endpoint the user names: GEMEINGUT_API_KEY, else OPENAI_API_KEY (what the
    `openai` client, lm-eval and `gemeingut audit` read), never from the command line."""
    return os.environ.get(KEY_ENV) or os.environ.get(OPENAI_KEY_ENV)


class Endpoint:
    def __init__(self, base_url: str, api_key: str | None, role: str) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.role = role  # "embedding" or "chat": named in errors
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=300)

    def call(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        """The JSON answer of a 200, else an `InputError`."""
        import httpx

        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        if response.status_code != 200:
            raise InputError(
                _(
                    "{url} answered {status}: {body}",
                    url=self.base_url + path,
                    status=str(response.status_code),
                    body=_said(response),
                ),
                _refused_hint(response.status_code),
            )
        try:
            return response.json()
        except ValueError:
            raise InputError(
                _("{url} answered with something that is not JSON", url=self.base_url + path),
                _("check that the URL is an OpenAI-compatible endpoint ending in /v1"),
            ) from None

    def first_model(self, option: str) -> str:
        models = self.call("GET", "/models").get("data") or []
        if not models:
            raise InputError(
                _("{url}/models lists no model", url=self.base_url),
                _("pass {option}", option=option),
            )
        return str(models[0]["id"])

    def unreachable(self, exc: Exception) -> InputError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            message: Message = _("{url} did not answer in time", url=self.base_url)
        elif _caused_by(exc, ConnectionRefusedError):
            message = _(
                "no server answers at {url} (the connection was refused)", url=self.base_url
            )
        elif _caused_by(exc, socket.gaierror):
            message = _("the host of {url} is not known", url=self.base_url)
        else:
            message = _(
                "the endpoint {url} cannot be reached ({problem})",
                url=self.base_url,
                problem=type(exc).__name__,
            )
        return InputError(message, _("start the server (gemeingut serve), or check the URL"))

    def close(self) -> None:
        self.client.close()


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is among the errors that led to `error` (httpx wraps the socket's)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _said(response: Any) -> str:
    """What the server says went wrong: the message of an OpenAI-style `{"error": {"message":
    …}}` (or FastAPI's `detail`), else the start of its text."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        said = error.get("message") if isinstance(error, dict) else error
        said = said or data.get("detail") or data.get("message")
        if isinstance(said, str) and said.strip():
            return said.strip()
    shown = " ".join(response.text.split())
    return shown if len(shown) <= 300 else shown[:299] + "…"


def _refused_hint(status: int) -> Message:
    if status == 401:
        return _(
            "set {env} to a valid key of this server (its administrator makes one with "
            "gemeingut admin keys create)",
            env=KEY_ENV,
        )
    if status == 403:
        return _("the key in {env} may not do this: ask the server's administrator", env=KEY_ENV)
    return _("check the model id and the key (GEMEINGUT_API_KEY)")
