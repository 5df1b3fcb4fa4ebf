"""An OpenAI-compatible endpoint as an audit target: ours, vLLM, LiteLLM in front of either.

Log-likelihoods come from `/v1/completions` with `echo` and `logprobs` (and `max_tokens: 1`,
which every engine accepts; the extra token is not counted), batched as lists of token-id
prompts, exactly as lm-evaluation-harness sends them. The token ids come from the server's own
tokenizer (`/tokenizer_info` and `/tokenize`, as ours and vLLM lend it) or from a local copy
(`--tokenizer`). Greedy continuations come back as token ids (`return_tokens_as_token_ids`, as
vLLM names it), so memorisation compares the same ids as in-process. An endpoint that returns
no prompt log-probabilities (llama-server) cannot be scored: that is said, never scored as
chance.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from gemeingut.audit.key_refused import refuse_key, server_said
from gemeingut.audit.policy_refusal import PolicyRefused, policy_refusal
from gemeingut.audit.target import Conversation, Pair, Scored, split_pair
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

SCORING_BATCH = 16  # prompts per scoring request
PARALLEL_REQUESTS = 4  # requests in flight at once
TOKEN_ID = "token_id:"
NO_TOKENIZER = _(
    "pass --tokenizer with the model's tokenizer folder, or serve the model with "
    "`gemeingut serve` or vLLM, which lend theirs"
)


def endpoint_api(url: str) -> str:
    """The endpoint's `/v1` base URL, however the user wrote it (with or without `/v1`, with a
    route at the end); refused when it is not an http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InputError(
            _("--endpoint {url} is not a URL: {reason}", url=repr(url), reason=str(exc)), _URL_HINT
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(_("--endpoint {url} is not an http(s) URL", url=repr(url)), _URL_HINT)
    root = url.rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        root = root.removesuffix(suffix)
    return root if root.endswith("/v1") else root + "/v1"


def endpoint_lineage(url: str, model: str) -> str:
    return f"endpoint:{endpoint_api(url)}#{model}"


_URL_HINT = _("e.g. --endpoint http://127.0.0.1:8000/v1")


class EndpointTarget:
    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        tokenizer: Path | None = None,
        timeout: float = 300.0,
    ) -> None:
        self.api = endpoint_api(url)
        self.server = self.api.removesuffix("/v1")
        self.name = model
        self.lineage = endpoint_lineage(url, model)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(timeout=timeout, headers=headers)
        self.key_sent = bool(api_key)
        self.info = self._tokenizer_info()
        self.local = _local_tokenizer(tokenizer) if tokenizer is not None else None
        self.prefix_id: int | None = None
        self.end_ids: set[int] = set()  # tokens that end an answer without being part of it
        if self.local is not None:
            bos, eos = self.local.bos_token_id, self.local.eos_token_id
            self.prefix_id = bos if bos is not None else eos
            self.end_ids = set(self.local.all_special_ids)
        elif self.info is not None:
            special = self.info.get("bos_token") or self.info.get("eos_token")
            self.prefix_id = self.tokenize(special)[0] if special else None
            ends = [self.info.get("eos_token"), "<|im_end|>"]
            self.end_ids = {ids[0] for e in ends if e and len(ids := self.tokenize(e)) == 1}

    def describe(self) -> dict[str, Any]:
        lent = "local" if self.local is not None else "remote" if self.info else "none"
        return {
            "kind": "endpoint",
            "url": self.api,
            "name": self.name,
            "lineage": self.lineage,
            "tokenizer": lent,
        }

    def close(self) -> None:
        self.http.close()

    def policy(self) -> dict[str, Any]:
        """Which safety policy the server ran, from its `/v1/policy` (as `gemeingut serve`
        publishes it), so that attack-success rates are read as those of the model and that
        policy: its id, version and file SHA-256 as served, and a SHA-256 of the rules served
        (canonical JSON). `known: false` where the server publishes none (vLLM); `id: null`
        where it says it filters nothing."""
        try:
            response = self.http.get(f"{self.api}/policy")
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            body = None
        if (
            not isinstance(body, dict)
            or "id" not in body
            or not isinstance(body.get("rules"), list)
        ):
            return {"known": False}
        rules = json.dumps(body["rules"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return {
            "known": True,
            "id": body["id"],
            "version": body.get("version"),
            "sha256": body.get("sha256"),
            "rules_sha256": hashlib.sha256(rules.encode("utf-8")).hexdigest(),
        }

    # --- tokenizer -----------------------------------------------------------------------------

    def _tokenizer_info(self) -> dict[str, Any] | None:
        try:
            response = self.http.get(f"{self.server}/tokenizer_info")
        except httpx.HTTPError as exc:
            raise InputError(
                _(
                    "cannot reach the endpoint {server}: {reason}",
                    server=self.server,
                    reason=str(exc),
                ),
                _("check the URL and that the server runs (`curl URL/v1/models`)"),
            ) from None
        refuse_key(f"{self.server}/tokenizer_info", response, self.key_sent)
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) and "eos_token" in body else None

    def tokenize(self, text: str) -> list[int]:
        if self.local is not None:
            return list(self.local(text, add_special_tokens=False)["input_ids"])
        self._need_tokenizer(_("tokenize text"))
        body = {"model": self.name, "prompt": text, "add_special_tokens": False}
        return [
            int(t)
            for t in _field(
                self._post(f"{self.server}/tokenize", body), "tokens", list, self.server
            )
        ]

    def detokenize(self, ids: list[int]) -> str:
        if self.local is not None:
            return str(self.local.decode(ids, skip_special_tokens=True))
        self._need_tokenizer(_("decode tokens"))
        body = {"model": self.name, "tokens": ids}
        return _field(self._post(f"{self.server}/detokenize", body), "prompt", str, self.server)

    def _need_tokenizer(self, what: Message) -> None:
        if self.info is None:
            raise InputError(
                _(
                    "the endpoint {server} lends no tokenizer (/tokenize), which is needed to "
                    "{what}",
                    server=self.server,
                    what=what,
                ),
                NO_TOKENIZER,
            )

    # --- scoring -------------------------------------------------------------------------------

    def token_logprobs(self, requests: Sequence[Pair]) -> list[Scored]:
        if self.local is None:
            self._need_tokenizer(_("score text as lm-evaluation-harness does"))
        pairs = self._parallel(lambda r: split_pair(self, self.prefix_id, *r), requests)
        scores: list[Scored] = []
        for start in range(0, len(pairs), SCORING_BATCH):
            chunk = pairs[start : start + SCORING_BATCH]
            choices = self._echo([ctx + cont for ctx, cont in chunk])
            for (ctx, cont), choice in zip(chunk, choices, strict=True):
                values = _span(choice, len(ctx), len(ctx) + len(cont), self.server)
                scores.append(list(zip(cont, values, strict=True)))
        return scores

    def _echo(self, prompts: list[list[int]]) -> list[dict[str, Any]]:
        body = {
            "model": self.name,
            "prompt": prompts,
            "echo": True,
            "logprobs": 0,
            "max_tokens": 1,
            "temperature": 0,
        }
        choices = self._choices(f"{self.api}/completions", body)
        if len(choices) != len(prompts):
            raise InputError(
                _(
                    "the endpoint {server} answered {choices} choices for {prompts} prompts",
                    server=self.server,
                    choices=len(choices),
                    prompts=len(prompts),
                ),
                _("use a server that accepts a list of prompts (`gemeingut serve`, vLLM)"),
            )
        return sorted(choices, key=lambda c: c.get("index", 0))

    # --- generation ----------------------------------------------------------------------------

    def complete(self, prompts: Sequence[str], max_tokens: int) -> list[str]:
        return self._parallel(lambda prompt: self._complete_one(prompt, max_tokens), prompts)

    def _complete_one(self, prompt: str, max_tokens: int) -> str:
        body = {"model": self.name, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0}
        return _field(self._choices(f"{self.api}/completions", body)[0], "text", str, self.server)

    def continue_ids(self, prefixes: Sequence[list[int]], max_tokens: int) -> list[list[int]]:
        def one(prefix: list[int]) -> list[int]:
            body = {
                "model": self.name,
                "prompt": prefix,
                "max_tokens": max_tokens,
                "temperature": 0,
                "logprobs": 0,
                "return_tokens_as_token_ids": True,
            }
            choice = self._choices(f"{self.api}/completions", body)[0]
            logprobs = choice.get("logprobs")
            tokens = logprobs.get("tokens") if isinstance(logprobs, dict) else None
            if not isinstance(tokens, list) or not all(
                isinstance(t, str) and t.startswith(TOKEN_ID) for t in tokens
            ):
                raise InputError(
                    _(
                        "the endpoint {server} does not return the generated token ids",
                        server=self.server,
                    ),
                    _(
                        "use a server that supports return_tokens_as_token_ids (`gemeingut "
                        "serve`, vLLM), or audit the model folder directly"
                    ),
                )
            ids = [int(t.removeprefix(TOKEN_ID)) for t in tokens][:max_tokens]
            if choice.get("finish_reason") == "stop" and ids and ids[-1] in self.end_ids:
                ids = ids[:-1]  # the end-of-text token is not part of the continuation
            return ids

        return self._parallel(one, prefixes)

    def chat(self, conversations: Sequence[Conversation], max_tokens: int) -> list[str]:
        return self._parallel(lambda messages: self._chat_one(messages, max_tokens), conversations)

    def _chat_one(self, messages: Conversation, max_tokens: int) -> str:
        body = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        choice = self._choices(f"{self.api}/chat/completions", body)[0]
        message = _field(choice, "message", dict, self.server)
        return str(message.get("content") or "")

    def answers_or_refusals(
        self, requests: Sequence[Conversation | str], max_tokens: int
    ) -> list[str | PolicyRefused]:
        """Greedy answers to chats (a list of messages) or plain prompts (text), where a request
        that the server's policy refuses is answered by that refusal: for the red team, what the
        deployment (model and policy) says. Any other error stops as in `chat`."""

        def one(request: Conversation | str) -> str | PolicyRefused:
            try:
                if isinstance(request, str):
                    return self._complete_one(request, max_tokens)
                return self._chat_one(request, max_tokens)
            except PolicyRefused as refused:
                return refused

        return self._parallel(one, requests)

    def _parallel(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        with ThreadPoolExecutor(PARALLEL_REQUESTS) as pool:
            return list(pool.map(fn, items))

    def _choices(self, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        choices = _field(self._post(url, body), "choices", list, self.server)
        if not choices or not all(isinstance(c, dict) for c in choices):
            raise InputError(
                _("{url} answered without choices", url=url), _("check the server's log")
            )
        return choices

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise InputError(
                _("request to {url} failed: {reason}", url=url, reason=str(exc)),
                _("check that the server runs"),
            ) from None
        refuse_key(url, response, self.key_sent)
        if response.status_code != 200:
            refused = policy_refusal(url, response.status_code, _json(response))
            if refused is not None:
                raise refused
            raise InputError(
                _(
                    "{url} answered {status}: {message}",
                    url=url,
                    status=str(response.status_code),
                    message=server_said(response),
                ),
                _(
                    "check the model name (`--model-name`) and that the server supports this "
                    "request"
                ),
            )
        try:
            answer = response.json()
        except ValueError:
            raise InputError(
                _("{url} did not answer with JSON", url=url), _("check the URL")
            ) from None
        if not isinstance(answer, dict):
            raise InputError(
                _("{url} answered {kind}, not an object", url=url, kind=type(answer).__name__),
                _("check the URL"),
            )
        return answer


def _local_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder))
    except (OSError, ValueError) as exc:
        raise InputError(
            _(
                "--tokenizer {folder}: no tokenizer there ({reason})",
                folder=folder,
                reason=str(exc),
            ),
            _("pass the model's folder or its tokenizer files"),
        ) from None


def _field(answer: dict[str, Any], key: str, kind: type, server: str) -> Any:
    value = answer.get(key)
    if not isinstance(value, kind):
        raise InputError(
            _("the endpoint {server} answered without a valid `{key}`", server=server, key=key),
            _("check that it speaks the OpenAI API (and vLLM's tokenizer routes)"),
        )
    return value


def _span(choice: dict[str, Any], first: int, last: int, server: str) -> list[float]:
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict) or not isinstance(logprobs.get("token_logprobs"), list):
        raise InputError(
            _(
                "the endpoint {server} returned no log-probabilities for an echoed prompt, so "
                "nothing can be scored (llama-server, for one, does not return them)",
                server=server,
            ),
            _("serve the model with `gemeingut serve` or vLLM, or audit its folder directly"),
        )
    values = logprobs["token_logprobs"][first:last]
    if len(values) != last - first or not all(isinstance(v, int | float) for v in values):
        raise InputError(
            _(
                "the endpoint {server} returned log-probabilities for fewer prompt tokens than "
                "it was sent",
                server=server,
            ),
            _("use a server that echoes every prompt token's log-probability"),
        )
    return [float(v) for v in values]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
