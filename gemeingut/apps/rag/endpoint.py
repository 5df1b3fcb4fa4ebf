"""An OpenAI-compatible endpoint as the collections use it: a key, JSON calls, our errors.

Both the embedder (`/v1/embeddings`) and answering (`/v1/chat/completions`, `/tokenize`) talk
to such an endpoint; a failure is an `InputError` saying which endpoint and what to check: the
server's own message (not its JSON), a refused key as a key to set, a server that does not
answer in words, not as the system's English ("[Errno 111] Connection refused"); a limit
(429) or a busy server (503) with when to try again (its `Retry-After`). Within
`waiting_on_limits` (a command a person runs) such an answer with a short `Retry-After` is
waited out and the request asked again, a few times, each wait said on stderr; elsewhere (a
server embedding through another) it is refused at once: a server never holds a worker for a
minute. Such a refusal (`Refused`) keeps the limit it names and its facts (a governed server's
`error.param` and `error.quota`), so that a caller can ask for less where that helps. The
server is asked in the language of the messages, so that it says why in it.
"""

from __future__ import annotations

import math
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Literal, TypeGuard
from urllib.parse import urlsplit

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, current_language, text
from gemeingut.i18n.visible import visible

KEY_ENV = "GEMEINGUT_API_KEY"
OPENAI_KEY_ENV = "OPENAI_API_KEY"  # the openai client's and lm-eval's: one key set for all
WAITS = 3  # how often a command asks again after a short Retry-After
LONGEST_WAIT = 60  # seconds: a requests-per-minute limit's longest; a day's tokens is not waited
EXAMPLE_URL = "http://127.0.0.1:8000/v1"
BUSY = (429, 503)  # a limit reached, a server busy: Retry-After says when to ask again
_waits: ContextVar[int] = ContextVar("endpoint_waits", default=0)

Capability = Literal["completion", "embedding"]  # as `/v1/models` of gemeingut serve says


@contextmanager
def waiting_on_limits(times: int = WAITS) -> Iterator[None]:
    """Within it, a request refused with a short Retry-After (a requests-per-minute limit, a
    full queue) is asked again after waiting, at most `times` times: a person's command
    waits out a minute's limit instead of failing halfway through a draft."""
    token = _waits.set(times)
    try:
        yield
    finally:
        _waits.reset(token)


def endpoint_key() -> str | None:
    """The key for an endpoint the user names: GEMEINGUT_API_KEY, else OPENAI_API_KEY (what the
    `openai` client, lm-eval and `gemeingut audit` read), never from the command line."""
    return os.environ.get(KEY_ENV) or os.environ.get(OPENAI_KEY_ENV)


class Refused(InputError):
    """A 429 or 503 that says when to try again: `limit`, the limit it names (`error.param`,
    e.g. `tokens_per_day`), `quota`, that limit's facts (`error.quota`), where it says them, and
    `tokens_renew_in`, the seconds until the daily token allowance renews, where the response
    says it (`x-ratelimit-reset-tokens`): a Retry-After of a request no day's allowance holds
    says that waiting does not help, not when the allowance renews. `retry_after` is the
    response's Retry-After in seconds (None where it gave none) and `waiting_helps` False where
    it said that waiting does not help (`x-should-retry: false`), for a server that passes the
    refusal on: its own 503 says the same."""

    def __init__(
        self,
        message: Message,
        hint: Message | str,
        limit: str | None,
        quota: dict[str, Any] | None,
        tokens_renew_in: int | None = None,
        retry_after: int | None = None,
        waiting_helps: bool = True,
    ) -> None:
        super().__init__(message, hint)
        self.limit = limit
        self.quota = quota
        self.tokens_renew_in = tokens_renew_in
        self.retry_after = retry_after
        self.waiting_helps = waiting_helps

    def __reduce__(self) -> tuple:
        facts = (self.message, self.hint, self.limit, self.quota, self.tokens_renew_in)
        return (type(self), (*facts, self.retry_after, self.waiting_helps))


class Endpoint:
    def __init__(self, base_url: str, api_key: str | None, role: str) -> None:
        import httpx

        headers = {"Accept-Language": current_language()}  # its messages in the user's language
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.base_url = _checked_url(base_url)
        self.role = role  # "embedding" or "chat": named in errors
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=300)

    def call(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        """The JSON answer of a 200, else an `InputError`; a short Retry-After waited out
        within `waiting_on_limits`."""
        import httpx

        waited = 0
        while True:
            try:
                response = self.client.request(method, path, json=body)
            except httpx.HTTPError as exc:
                raise self.unreachable(exc) from exc
            wait = _short_wait(response)
            if wait is None or waited >= _waits.get():
                break
            waited += 1
            self._say_waiting(path, response, wait, waited)
            time.sleep(wait)
        refused = self.refused(path, response, waited)
        if refused is not None:
            raise refused
        if response.status_code != 200:
            raise InputError(
                _(
                    "{url} answered {status}: {body}",
                    url=self.base_url + path,
                    status=str(response.status_code),
                    body=_said(response),
                ),
                _refused_hint(response.status_code, self.base_url),
            )
        try:
            return response.json()
        except ValueError:
            raise InputError(
                _("{url} answered with something that is not JSON", url=self.base_url + path),
                _("check that the URL is an OpenAI-compatible endpoint ending in /v1"),
            ) from None

    def count(self, body: dict[str, Any]) -> tuple[int, int | None] | None:
        """The engine's token count of `body` (`model` and a `prompt` or `messages`) from
        `/tokenize` beside /v1, as vLLM and `gemeingut serve` offer it, and the model's context
        (`max_model_len`; None where not said). None where the engine offers no count: any
        answer but a 200 with one; not reached: an `InputError`, as any call."""
        import httpx

        root = self.base_url.removesuffix("/v1")
        try:
            response = self.client.post(f"{root}/tokenize", json=body)
            data = response.json()
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        except ValueError:
            return None  # an answer that is no JSON: as no /tokenize
        if response.status_code != 200 or not isinstance(data, dict):
            return None
        count, context = data.get("count"), data.get("max_model_len")
        if not _whole(count):
            return None
        return count, context if _whole(context) and context > 0 else None

    def refused(self, path: str, response: Any, waited: int) -> Refused | None:
        """A 429 or 503 that says when to try again, in words: the server's message (which
        names the limit) and the time; None for any other answer."""
        seconds = _retry_after(response)
        hopeless = response.headers.get("x-should-retry", "").lower() == "false"
        if response.status_code not in BUSY or (seconds is None and not hopeless):
            return None
        message = _(
            "{url} answered {status}: {body}",
            url=self.base_url + path,
            status=str(response.status_code),
            body=_said(response),
        )
        limit, quota = _limit(response)
        renew = _duration_seconds(response.headers.get("x-ratelimit-reset-tokens", ""))
        if hopeless or seconds is None:
            hint = _("waiting does not help (the server says so): ask its administrator")
            return Refused(message, hint, limit, quota, renew, seconds, waiting_helps=False)
        hint = _("try again at {time} (the server's Retry-After: {seconds} s)",
                 time=clock_in(seconds), seconds=seconds)  # fmt: skip
        if waited:
            hint = _("asked again {count} times after waiting; {then}", count=waited, then=hint)
        return Refused(message, hint, limit, quota, renew, seconds)

    def _say_waiting(self, path: str, response: Any, seconds: int, attempt: int) -> None:
        """That the command waits, and why: a silent minute looks like a hang."""
        from rich.markup import escape

        from gemeingut.progress import console

        said = _(
            "{url} answered {status}: {body}; waiting {seconds} s (Retry-After), then asking "
            "again ({attempt} of {most})",
            url=self.base_url + path,
            status=str(response.status_code),
            body=_said(response),
            seconds=seconds,
            attempt=attempt,
            most=_waits.get(),
        )
        console.print(f"[yellow]![/] {escape(text(said))}", highlight=False, soft_wrap=True)

    def first_model(self, option: str, capability: Capability | None = None) -> str:
        """The first model `/models` lists; with `capability`, the first that can do it: a
        server that says what each model can (`capabilities`, as `gemeingut serve` does) may
        list an embedding model first, which cannot write an answer, or a language model
        first, which is no retrieval encoder; one that says nothing is taken to do both."""
        answer = self.call("GET", "/models")
        cards = answer.get("data") if isinstance(answer, dict) else None
        models = [
            card
            for card in (cards if isinstance(cards, list) else [])
            if isinstance(card, dict) and isinstance(card.get("id"), str)
        ]
        if capability is not None:
            models = [m for m in models if _can(m, capability)]
        if not models:
            url = self.base_url
            listed = {
                None: _("{url}/models lists no model", url=url),
                "completion": _("{url}/models lists no model that writes text", url=url),
                "embedding": _("{url}/models lists no model that makes embeddings", url=url),
            }[capability]
            raise InputError(listed, _("pass {option}", option=option))
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


def _can(model: dict[str, Any], capability: Capability) -> bool:
    """Whether a model `/models` lists can do `capability`: where it says its `capabilities`,
    among them; where it says none (vLLM, llama-server), it is taken to."""
    said = model.get("capabilities")
    return not isinstance(said, list) or capability in said


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is among the errors that led to `error` (httpx wraps the socket's)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _checked_url(base_url: str) -> str:
    """`base_url` (without spaces around it and a last `/`) where it can be asked: http or
    https, a host. Checked before the first request: httpx takes `127.0.0.1:8000/v1` for a
    path and fails with its own English (UnsupportedProtocol); `http://[::1` was a traceback."""
    import httpx

    url = base_url.strip().rstrip("/")
    try:
        parsed: httpx.URL | None = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(
            _(
                "'{url}' is no endpoint address: it starts with http:// or https:// and names "
                "a host",
                url=visible(base_url.strip()),
            ),
            _("e.g. {example} (gemeingut serve on this machine)", example=EXAMPLE_URL),
        )
    return url


def clock_in(seconds: int) -> str:
    """The local time (HH:MM) `seconds` from now, rounded up to the minute: not too early."""
    return (datetime.now() + timedelta(seconds=seconds + 59)).strftime("%H:%M")


_GO_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


def _duration_seconds(value: str) -> int | None:
    """A rate-limit header's duration as OpenAI writes it (`12ms`, `6m0s`, `13h42m7.5s`) in
    whole seconds, rounded up; None where it is none."""
    value = value.strip()
    if value.endswith("ms") and value[:-2].isdigit():
        return math.ceil(int(value[:-2]) / 1000)
    found = _GO_DURATION.fullmatch(value)
    if not value or found is None:
        return None
    hours, minutes, seconds = found.groups()
    return math.ceil(int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0))


def _retry_after(response: Any) -> int | None:
    """Retry-After in seconds (an HTTP date is not sent by our server: None, as none)."""
    try:
        seconds = int(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _short_wait(response: Any) -> int | None:
    """The seconds to wait before asking again, where a 429 or 503 says a short time and does
    not say that waiting cannot help; else None."""
    if response.status_code not in BUSY:
        return None
    if response.headers.get("x-should-retry", "").lower() == "false":
        return None
    seconds = _retry_after(response)
    return seconds if seconds is not None and seconds <= LONGEST_WAIT else None


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


def _limit(response: Any) -> tuple[str | None, dict[str, Any] | None]:
    """The limit a refusal names (`error.param`) and its facts (`error.quota`), where its JSON
    says them (`gemeingut serve`'s gateway does); (None, None) otherwise."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(error, dict):
        return None, None
    limit, quota = error.get("param"), error.get("quota")
    return (
        limit if isinstance(limit, str) else None,
        quota if isinstance(quota, dict) else None,
    )


def _refused_hint(status: int, base_url: str) -> Message:
    if status == 404 and not urlsplit(base_url).path.rstrip("/").endswith("/v1"):
        # `gemeingut serve`, vLLM, llama-server and Ollama all answer below /v1; an address
        # of one of its routes (…/v1/chat/completions) is cut back to it.
        base = base_url.rstrip("/")
        cut = base.find("/v1/", len(urlsplit(base).scheme) + 3)
        return _(
            "the endpoint is the API's base address, which usually ends in /v1 (e.g. {url})",
            url=base[: cut + 3] if cut >= 0 else f"{base}/v1",
        )
    if status == 401:
        return _(
            "set {env} to a valid key of this server (its administrator makes one with "
            "gemeingut admin keys create)",
            env=KEY_ENV,
        )
    if status == 403:
        return _("the key in {env} may not do this: ask the server's administrator", env=KEY_ENV)
    return _("check the model id and the key (GEMEINGUT_API_KEY)")


def _whole(value: object) -> TypeGuard[int]:
    """Whether `value` is a count in JSON: an integer, not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)
