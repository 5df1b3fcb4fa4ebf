"""What an audit talks to: a model folder run in this process, or any OpenAI-compatible endpoint.

Every suite needs only four things from a model: the log-likelihood of a continuation given a
context (bias pairs, multiple choice), greedy continuations of text and of token ids
(memorisation), and greedy chat answers (red team). `LocalTarget` gets them from the server's
own batched backend, so an audit in-process and one against `gemeingut serve` score the same
numbers; `EndpointTarget` gets them over HTTP the way lm-evaluation-harness does (echoed prompt
log-probabilities, token ids through `/tokenize` when the server lends its tokenizer).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.backends import RequestRejected, SamplingParams
from gemeingut.serve.backends.transformers import length_batches

Conversation = list[dict[str, str]]
Pair = tuple[str, str]  # (context, continuation)
# A continuation's tokens with their log-probabilities; the token is its id, or its text where
# an endpoint lends no tokenizer (either way, equal tokens compare equal).
Scored = list[tuple[int | str, float]]


class Target(Protocol):
    name: str
    lineage: str  # the model's artifact id, a hash of its folder, or the endpoint

    def describe(self) -> dict[str, Any]: ...

    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, ids: list[int]) -> str: ...

    def token_logprobs(self, requests: Sequence[Pair]) -> list[Scored]:
        """Each continuation's tokens and their log-probabilities after its context."""
        ...

    def complete(self, prompts: Sequence[str], max_tokens: int) -> list[str]:
        """Greedy continuations of plain-text prompts."""
        ...

    def continue_ids(self, prefixes: Sequence[list[int]], max_tokens: int) -> list[list[int]]:
        """Greedy continuations of token-id prompts, as token ids."""
        ...

    def chat(self, conversations: Sequence[Conversation], max_tokens: int) -> list[str]:
        """Greedy answers through the model's chat template."""
        ...


def loglikelihoods(target: Target, requests: Sequence[Pair]) -> list[float]:
    """Summed log-probability of each continuation after its context (what lm-eval scores)."""
    return [sum(value for _, value in scored) for scored in target.token_logprobs(requests)]


def split_pair(
    target: Target, prefix_id: int | None, context: str, continuation: str
) -> tuple[list[int], list[int]]:
    """Token ids of context and continuation, as lm-evaluation-harness cuts them: trailing
    spaces of the context move to the continuation, the whole is tokenized once (so merges
    across the boundary are the model's), and an empty context is the BOS (or EOS) token."""
    if not context:
        if prefix_id is None:
            raise InputError(
                _(
                    "model {name} has neither a BOS nor an EOS token to start a text with",
                    name=repr(target.name),
                ),
                _("give every item a context"),
            )
        return [prefix_id], target.tokenize(continuation)
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = target.tokenize(context + continuation)
    context_ids = target.tokenize(context)
    return context_ids, whole[len(context_ids) :]


CPU_BATCH_TOKENS = 1024  # a CPU's caches favour ~1k padded tokens per forward pass


class LocalTarget:
    """A Hugging Face model folder, scored and run in this process (on the GPU where `device`
    is auto or cuda and torch sees one), in float32 or under bf16 autocast."""

    def __init__(
        self,
        model_dir: Path,
        name: str,
        lineage: str,
        batch_tokens: int | None = None,
        precision: str = "fp32",
        device: str = "auto",
    ) -> None:
        from gemeingut.serve.backends.transformers import TransformersBackend

        self.backend = TransformersBackend(
            model_dir, model_name=name, precision=precision, device=device, device_setting="device"
        )
        self.name = name
        self.lineage = lineage
        self.model_dir = model_dir
        on_cpu = self.backend.device.type == "cpu"
        default = CPU_BATCH_TOKENS if on_cpu else self.backend.max_batch_tokens
        self.batch_tokens = batch_tokens or default
        tokenizer = self.backend.tokenizer
        bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
        self.prefix_id: int | None = bos if bos is not None else eos
        self.context_length = self.backend.context_length

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "model folder",
            "path": str(self.model_dir),
            "name": self.name,
            "lineage": self.lineage,
            "precision": self.backend.precision,
            "device": self.backend.device.type,
        }

    def tokenize(self, text: str) -> list[int]:
        return self.backend.tokenize(text, add_special_tokens=False)

    def detokenize(self, ids: list[int]) -> str:
        return self.backend.detokenize(ids, skip_special_tokens=True)

    def has_chat_template(self) -> bool:
        return bool(getattr(self.backend.tokenizer, "chat_template", None))

    def token_logprobs(self, requests: Sequence[Pair]) -> list[Scored]:
        pairs = [split_pair(self, self.prefix_id, c, x) for c, x in requests]
        rows = [self._fit(ctx + cont) for ctx, cont in pairs]
        scores: list[Scored] = [[] for _ in rows]
        scoring = SamplingParams(max_tokens=0, prompt_logprobs=0)
        for batch in length_batches(rows, self.batch_tokens):
            results = self.backend.generate_batch([rows[i] for i in batch], scoring)
            for i, result in zip(batch, results, strict=True):
                n = min(len(pairs[i][1]), len(rows[i]) - 1)
                entries = (result.prompt_logprobs or ())[len(rows[i]) - n :]
                scores[i] = [(e.token_id, e.logprob) for e in entries if e is not None]
        return scores

    def complete(self, prompts: Sequence[str], max_tokens: int) -> list[str]:
        return [r.text for r in self._generate(list(prompts), max_tokens)]

    def continue_ids(self, prefixes: Sequence[list[int]], max_tokens: int) -> list[list[int]]:
        return [
            [t for t in r.token_ids if not (r.stop_token and t == r.token_ids[-1])]
            for r in self._generate([list(p) for p in prefixes], max_tokens)
        ]

    def chat(self, conversations: Sequence[Conversation], max_tokens: int) -> list[str]:
        if not self.has_chat_template():
            raise InputError(
                _(
                    "model {name} has no chat template, so chat probes cannot be sent",
                    name=repr(self.name),
                ),
                _(
                    "send them as a plain transcript (--plain-prompts, or redteam.plain_prompts "
                    "= true), or add a chat_template to its tokenizer_config.json"
                ),
            )
        try:
            prompts = [self.backend.apply_chat_template(c) for c in conversations]
        except RequestRejected as rejected:
            raise InputError(
                _("model {name}: {problem}", name=repr(self.name), problem=rejected.message),
                _("send the probes as plain text instead (--plain-prompts)"),
            ) from None
        return self.complete(prompts, max_tokens)

    def _generate(self, prompts: list[str | list[int]], max_tokens: int) -> list[Any]:
        greedy = SamplingParams(max_tokens=max_tokens, temperature=0)
        encoded = [self.backend.encode_prompt(p) for p in prompts]
        # A prompt longer than the context loses its beginning, but keeps room to answer.
        room = min(max_tokens, (self.context_length or max_tokens) // 2)
        fitted = [self._fit(ids, room=room) for ids in encoded]
        results: list[Any] = [None] * len(prompts)
        for batch in length_batches(fitted, self.batch_tokens):
            stop = threading.Event()
            try:
                out = self.backend.generate_batch([fitted[i] for i in batch], greedy, cancel=stop)
            except RequestRejected as rejected:
                raise InputError(
                    _("model {name}: {problem}", name=repr(self.name), problem=rejected.message)
                ) from None
            except KeyboardInterrupt:
                self._settle(stop, fitted[batch[0]])
                raise
            for i, result in zip(batch, out, strict=True):
                results[i] = result
        return results

    def _settle(self, stop: threading.Event, row: list[int]) -> None:
        """After a Ctrl-C: stop the batch the server's batch thread generates and wait until
        it has (a scoring call waits for the model, which that batch holds to its end). Left
        inside torch when Python exits, that thread makes the process abort ("terminate
        called without an active exception") instead of ending with the audit's word."""
        stop.set()
        self.backend.generate_batch([row[:1]], SamplingParams(max_tokens=0, prompt_logprobs=0))

    def _fit(self, ids: list[int], room: int = 0) -> list[int]:
        """Keep the end of a row that is longer than the context (as lm-eval truncates)."""
        if self.context_length is None:
            return ids
        limit = self.context_length - room
        return ids[-limit:] if len(ids) > limit else ids
