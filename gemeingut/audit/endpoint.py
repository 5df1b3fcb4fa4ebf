"""An OpenAI-compatible endpoint as an audit target: ours, vLLM, llama-server, Ollama, LiteLLM.

Log-likelihoods come from `/v1/completions` with `echo` and `logprobs` (and `max_tokens: 1`,
which every engine accepts; the extra token is not counted), batched as lists of prompts. When
the server lends its tokenizer (`/tokenizer_info` and `/tokenize`, as ours and vLLM do),
prompts go as token ids, exactly as lm-evaluation-harness sends them; otherwise as text, and
the continuation's tokens are found by their `text_offset`. An endpoint that returns no prompt
log-probabilities (llama-server) cannot be scored: that is said, never scored as chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from gemeingut.audit.target import Conversation, Pair, Scored, split_pair
from gemeingut.errors import InputError

SCORING_BATCH = 16  # prompts per scoring request
PARALLEL_REQUESTS = 4  # generations in flight at once


class EndpointTarget:
    def __init__(
        self, url: str, model: str, api_key: str | None = None, timeout: float = 300.0
    ) -> None:
        root = url.rstrip("/")
        for suffix in ("/chat/completions", "/completions"):
            root = root.removesuffix(suffix)
        self.api = root if root.endswith("/v1") else root + "/v1"
        self.server = self.api.removesuffix("/v1")
        self.name = model
        self.lineage = f"endpoint:{self.api}#{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(timeout=timeout, headers=headers)
        self.info = self._tokenizer_info()
        self.prefix_id: int | None = None
        if self.info is not None:
            special = self.info.get("bos_token") or self.info.get("eos_token")
            self.prefix_id = self.tokenize(special)[0] if special else None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "endpoint",
            "url": self.api,
            "name": self.name,
            "lineage": self.lineage,
            "tokenizer": "remote" if self.info is not None else "none",
        }

    def close(self) -> None:
        self.http.close()

    # --- tokenizer -----------------------------------------------------------------------------

    def _tokenizer_info(self) -> dict[str, Any] | None:
        try:
            response = self.http.get(f"{self.server}/tokenizer_info")
        except httpx.HTTPError as exc:
            raise InputError(
                f"cannot reach the endpoint {self.server}: {exc}",
                "check the URL and that the server runs (`curl URL/v1/models`)",
            ) from None
        if response.status_code != 200:
            return None
        body = response.json()
        return body if isinstance(body, dict) and "eos_token" in body else None

    def tokenize(self, text: str) -> list[int]:
        self._need_tokenizer("tokenize text")
        body = {"model": self.name, "prompt": text, "add_special_tokens": False}
        return list(self._post(f"{self.server}/tokenize", body)["tokens"])

    def detokenize(self, ids: list[int]) -> str:
        self._need_tokenizer("decode tokens")
        return str(
            self._post(f"{self.server}/detokenize", {"model": self.name, "tokens": ids})["prompt"]
        )

    def _need_tokenizer(self, what: str) -> None:
        if self.info is None:
            raise InputError(
                f"the endpoint {self.server} lends no tokenizer (/tokenize), which is needed to "
                f"{what}",
                "serve the model with `gemeingut serve` or vLLM, or audit its folder directly",
            )

    # --- scoring -------------------------------------------------------------------------------

    def token_logprobs(self, requests: Sequence[Pair]) -> list[Scored]:
        scores: list[Scored] = []
        for start in range(0, len(requests), SCORING_BATCH):
            chunk = requests[start : start + SCORING_BATCH]
            if self.info is not None:
                scores += self._scored_ids(chunk)
            else:
                scores += self._scored_texts(chunk)
        return scores

    def _scored_ids(self, chunk: Sequence[Pair]) -> list[Scored]:
        pairs = [split_pair(self, self.prefix_id, c, x) for c, x in chunk]  # type: ignore[arg-type]
        choices = self._echo([ctx + cont for ctx, cont in pairs])
        return [
            list(zip(cont, _span(choice, len(ctx), len(ctx) + len(cont), self.server), strict=True))
            for (ctx, cont), choice in zip(pairs, choices, strict=True)
        ]

    def _scored_texts(self, chunk: Sequence[Pair]) -> list[Scored]:
        choices = self._echo([c + x for c, x in chunk])
        scores = []
        for (context, continuation), choice in zip(chunk, choices, strict=True):
            offsets = _logprobs(choice, self.server).get("text_offset")
            if not offsets:
                raise InputError(
                    f"the endpoint {self.server} returned no text_offset, so the continuation "
                    "cannot be found among the prompt's tokens",
                    "use a server that lends its tokenizer (`gemeingut serve`, vLLM)",
                )
            end = len(context) + len(continuation)
            first = next(i for i, o in enumerate(offsets) if o >= len(context))
            last = next((i for i, o in enumerate(offsets) if o >= end), len(offsets))
            tokens = _logprobs(choice, self.server).get("tokens") or []
            values = _span(choice, first, last, self.server)
            scores.append(list(zip(tokens[first:last], values, strict=True)))
        return scores

    def _echo(self, prompts: list[Any]) -> list[dict[str, Any]]:
        body = {
            "model": self.name,
            "prompt": prompts,
            "echo": True,
            "logprobs": 0,
            "max_tokens": 1,
            "temperature": 0,
        }
        choices = sorted(
            self._post(f"{self.api}/completions", body)["choices"], key=lambda c: c["index"]
        )
        if len(choices) != len(prompts):
            raise InputError(
                f"the endpoint {self.server} answered {len(choices)} choices for "
                f"{len(prompts)} prompts",
                "use a server that accepts a list of prompts (`gemeingut serve`, vLLM)",
            )
        return choices

    # --- generation ----------------------------------------------------------------------------

    def complete(self, prompts: Sequence[str], max_tokens: int) -> list[str]:
        def one(prompt: str) -> str:
            body = {
                "model": self.name,
                "prompt": prompt,
                "max_tokens": max_tokens,
                "temperature": 0,
            }
            return str(self._post(f"{self.api}/completions", body)["choices"][0]["text"])

        return self._parallel(one, prompts)

    def continue_ids(self, prefixes: Sequence[list[int]], max_tokens: int) -> list[list[int]]:
        self._need_tokenizer("send token-id prompts")

        def one(prefix: list[int]) -> list[int]:
            body = {
                "model": self.name,
                "prompt": prefix,
                "max_tokens": max_tokens,
                "temperature": 0,
            }
            text = self._post(f"{self.api}/completions", body)["choices"][0]["text"]
            return self.tokenize(text)[:max_tokens] if text else []

        return self._parallel(one, prefixes)

    def chat(self, conversations: Sequence[Conversation], max_tokens: int) -> list[str]:
        def one(messages: Conversation) -> str:
            body = {
                "model": self.name,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": 0,
            }
            return str(
                self._post(f"{self.api}/chat/completions", body)["choices"][0]["message"]["content"]
                or ""
            )

        return self._parallel(one, conversations)

    def _parallel(self, fn: Any, items: Sequence[Any]) -> list[Any]:
        with ThreadPoolExecutor(PARALLEL_REQUESTS) as pool:
            return list(pool.map(fn, items))

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise InputError(
                f"request to {url} failed: {exc}", "check that the server runs"
            ) from None
        if response.status_code != 200:
            raise InputError(
                f"{url} answered {response.status_code}: {_message(response)}",
                "check the model name (`--model`) and that the server supports this request",
            )
        return response.json()


def _logprobs(choice: dict[str, Any], server: str) -> dict[str, Any]:
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict) or not logprobs.get("token_logprobs"):
        raise InputError(
            f"the endpoint {server} returned no log-probabilities for an echoed prompt, so "
            "nothing can be scored (llama-server, for one, does not return them)",
            "serve the model with `gemeingut serve` or vLLM, or audit its folder directly",
        )
    return logprobs


def _span(choice: dict[str, Any], first: int, last: int, server: str) -> list[float]:
    values = _logprobs(choice, server)["token_logprobs"][first:last]
    if len(values) != last - first or any(v is None for v in values):
        raise InputError(
            f"the endpoint {server} returned log-probabilities for fewer prompt tokens than "
            "it was sent",
            "use a server that echoes every prompt token's log-probability",
        )
    return [float(v) for v in values]


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
