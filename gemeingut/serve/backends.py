"""Backends: the one small protocol the server speaks to a model, and the in-process one.

The HTTP layer never touches torch: it hands a prompt and `SamplingParams` to a `Backend` and
gets text back, whole (`generate`) or piece by piece (`stream`). That keeps the API identical
whether the model runs in this process (`TransformersBackend`), in llama.cpp, or behind an
upstream engine such as vLLM.

`TransformersBackend` runs its own token loop instead of `model.generate()`: the loop streams
token by token without a helper thread, samples from a per-request `torch.Generator` (a seed
reproduces a text without touching torch's global RNG), and lets `generate` and `stream` share
one code path, so a streamed answer is always exactly the non-streamed one.

torch and transformers are imported only when a `TransformersBackend` is made: the HTTP layer
and `resolve_model_dir` then load in a blink, and a wrong path is reported at once.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import torch

FinishReason = Literal["stop", "length"]

# Used as the default answer length only when a model does not state its context length.
FALLBACK_MAX_TOKENS = 512


@dataclass(frozen=True)
class SamplingParams:
    """How to continue a prompt. `max_tokens=None` means: as far as the context allows."""

    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason


class RequestRejected(ValueError):
    """The request cannot be served as asked (prompt too long, no chat template ...).

    The server answers these with 400; `param` and `code` fill OpenAI's error fields (the server
    names the prompt's field when `param` is left empty).
    """

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


class TextStream:
    """Text pieces as they are generated; `result` holds usage and finish reason at the end.

    Wraps a generator that yields pieces and returns a `GenerationResult`. Always exhaust or
    `close()` it: an in-process backend holds its model lock while the stream is open.
    """

    def __init__(self, pieces: Generator[str, None, GenerationResult]) -> None:
        self._pieces = pieces
        self.result: GenerationResult | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except StopIteration as finished:
            self.result = finished.value
            raise

    def close(self) -> None:
        self._pieces.close()


class Backend(Protocol):
    """What the server needs from a model engine."""

    model_name: str

    def generate(self, prompt: str, params: SamplingParams) -> GenerationResult: ...

    def stream(self, prompt: str, params: SamplingParams) -> TextStream:
        """Check the request now (raising `RequestRejected`), generate lazily while iterated."""
        ...

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str: ...


class TransformersBackend:
    """A Hugging Face model directory, loaded in this process on the CPU in float32.

    One model serves one request at a time (a lock), which is what a CPU can do well anyway;
    more throughput is a job for an upstream engine such as vLLM.
    """

    def __init__(self, model_dir: Path, model_name: str | None = None) -> None:
        from transformers import AutoTokenizer

        from gemeingut.model.loading import load_causal_lm

        self.model_name = model_name or model_dir.name
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = load_causal_lm(model_dir)
        self.context_length: int | None = getattr(
            self.model.config, "max_position_embeddings", None
        )
        self.stop_token_ids = _stop_token_ids(self.tokenizer, self.model.generation_config)
        self._lock = threading.Lock()

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        if not getattr(self.tokenizer, "chat_template", None):
            raise RequestRejected(
                f"model {self.model_name!r} has no chat template; use /v1/completions",
                param="messages",
            )
        from jinja2 import TemplateError

        try:
            return self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        except TemplateError as refused:  # e.g. "roles must alternate user/assistant"
            raise RequestRejected(
                f"the model's chat template refuses these messages: {refused}", param="messages"
            ) from None

    def generate(self, prompt: str, params: SamplingParams) -> GenerationResult:
        stream = self.stream(prompt, params)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def stream(self, prompt: str, params: SamplingParams) -> TextStream:
        prompt_ids = self._encode(prompt)
        max_new = self._answer_budget(len(prompt_ids), params.max_tokens)
        return TextStream(self._pieces(prompt_ids, max_new, params))

    def _encode(self, prompt: str) -> list[int]:
        ids: list[int] = self.tokenizer(prompt)["input_ids"]
        # A chat template may write the BOS itself; the tokenizer would then add a second one.
        bos = self.tokenizer.bos_token_id
        if bos is not None and len(ids) >= 2 and ids[0] == ids[1] == bos:
            ids = ids[1:]
        return ids

    def _answer_budget(self, prompt_tokens: int, max_tokens: int | None) -> int:
        """Tokens we may generate. A too-large `max_tokens` is clamped rather than refused,
        because clients often send one large default for every model they talk to."""
        if prompt_tokens == 0:
            raise RequestRejected("the prompt is empty")
        if self.context_length is None:
            return max_tokens or FALLBACK_MAX_TOKENS
        room = self.context_length - prompt_tokens
        if room < 1:
            raise RequestRejected(
                f"this model's maximum context length is {self.context_length} tokens, "
                f"but the prompt has {prompt_tokens}; shorten it",
                code="context_length_exceeded",
            )
        return min(max_tokens, room) if max_tokens else room

    def _pieces(
        self, prompt_ids: list[int], max_new: int, params: SamplingParams
    ) -> Generator[str, None, GenerationResult]:
        """Detokenize as tokens arrive, holding back only text that may still change: an
        unfinished UTF-8 character, or the start of what may become a stop string."""
        with self._lock:
            generated: list[int] = []
            text, emitted = "", 0
            finish: FinishReason = "length"
            tokens = self._sample_tokens(prompt_ids, max_new, params)
            try:
                for token_id in tokens:
                    generated.append(token_id)
                    if token_id in self.stop_token_ids:
                        finish = "stop"
                        break
                    # Decoding the whole answer again, not just the new token, keeps characters
                    # whose bytes span two tokens intact; it costs far less than a forward pass.
                    text = self.tokenizer.decode(generated, skip_special_tokens=True)
                    cut = first_stop(text, params.stop)
                    if cut is not None:
                        text, finish = text[:cut], "stop"
                        break
                    ready = stable_length(text, params.stop)
                    if ready > emitted:
                        yield text[emitted:ready]
                        emitted = ready
            finally:
                tokens.close()
            if len(text) > emitted:
                yield text[emitted:]
            return GenerationResult(text, len(prompt_ids), len(generated), finish)

    def _sample_tokens(
        self, prompt_ids: list[int], max_new: int, params: SamplingParams
    ) -> Generator[int, None, None]:
        import torch

        generator = torch.Generator()
        if params.seed is None:
            generator.seed()
        else:
            generator.manual_seed(params.seed)
        input_ids = torch.tensor([prompt_ids])
        cache = None
        for _ in range(max_new):
            # Grad mode is thread-local and a stream may resume on another worker thread, so
            # inference mode is entered per step rather than around the whole loop.
            with torch.inference_mode():
                out = self.model(input_ids=input_ids, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                token_id = pick_token(out.logits[0, -1], params, generator)
            yield token_id
            input_ids = torch.tensor([[token_id]])


def pick_token(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> int:
    """Greedy at temperature 0, otherwise sample from the top-p nucleus."""
    import torch

    if params.temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / params.temperature, dim=-1)
    if params.top_p >= 1.0:
        return int(torch.multinomial(probs, 1, generator=generator))
    sorted_probs, order = torch.sort(probs, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=0) - sorted_probs
    nucleus = sorted_probs * (mass_before < params.top_p)  # always keeps the likeliest token
    return int(order[torch.multinomial(nucleus, 1, generator=generator)])


def first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    """Where the earliest stop string begins in `text`, if any does."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def stable_length(text: str, stops: tuple[str, ...]) -> int:
    """How much of `text` can be sent without ever having to be taken back."""
    end = len(text.rstrip("\ufffd"))  # U+FFFD at the end: a character whose bytes are not all in
    held = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, end), held, -1):
            if text[end - k : end] == stop[:k]:
                held = k
                break
    return end - held


def _stop_token_ids(tokenizer: object, generation_config: object) -> frozenset[int]:
    """EOS of the tokenizer and the generation config, and ChatML's end of turn."""
    ids: set[int] = set()
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is not None:
        ids.add(eos)
    im_end = tokenizer.get_vocab().get("<|im_end|>")  # type: ignore[attr-defined]
    if im_end is not None:
        ids.add(im_end)
    configured = getattr(generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return frozenset(ids)
