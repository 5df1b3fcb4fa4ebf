"""The in-process backend: a Hugging Face model folder, run by our own batched token loop.

`TransformersBackend` runs its own loop instead of `model.generate()`: the loop streams token by
token without a helper thread, samples every row from its own `torch.Generator` (a seed
reproduces a text without touching torch's global RNG), and lets `generate`, `generate_batch`
and `stream` share one code path, so a streamed answer is always exactly the non-streamed one.
Several prompts (or several choices of one) run as one left-padded batch, and the prefill's
logits give the prompt log-probabilities that scoring needs without a second forward pass.

torch and transformers are imported only when a `TransformersBackend` is made: the HTTP layer
and `resolve_model_dir` then load in a blink, and a wrong path is reported at once.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Generator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.i18n import _
from gemeingut.serve.backends.batching import DONE, BatchScheduler, Job, ModelLock
from gemeingut.serve.backends.decoding import decode
from gemeingut.serve.backends.offsets import text_offsets
from gemeingut.serve.backends.protocol import (
    GenerationResult,
    Prompt,
    RequestRejected,
    SamplingParams,
    TextStream,
)
from gemeingut.serve.backends.token_bytes import byte_fallback, vocabulary_bytes
from gemeingut.serve.backends.utf8 import Utf8Guard
from gemeingut.serve.backends.vocabulary import check_ids

if TYPE_CHECKING:
    import torch

# Used as the default answer length only when a model does not state its context length.
FALLBACK_MAX_TOKENS = 512
# Padded prompt tokens run together in one forward pass: the prefill's logits are tokens ×
# vocabulary floats. On a CPU ~8k tokens run as fast as more; a GPU needs many more per
# launch to be busy, up to what its logits may take of its memory.
MAX_BATCH_TOKENS = 8192
MAX_GPU_BATCH_TOKENS = 65536
GPU_LOGIT_FLOATS = 2**30  # 4 GiB of fp32 logits per forward pass
DEFAULT_BATCH_ROWS = 32  # concurrent requests that generate together (`batching.py`)
STOP_WAIT_S = 10  # how long a closed stream's row may take to stop at its next step
CANCEL_POLL_S = 0.25  # how often a request's worker thread looks whether its client left


class TransformersBackend:
    """A Hugging Face model directory, loaded in this process in float32, on the GPU where
    `device` is "auto" (the default) or "cuda" and torch sees one, else on the CPU.

    `precision="bf16"` (or "auto" on a GPU or a CPU with bf16 units) runs the forward under
    bf16 autocast; logits are turned to log-probabilities in fp32. That is ~1.9× faster on such
    a CPU; on the `small` preset the log-probability differences of bias pairs stayed within
    0.02 nats of fp32 and 99.3% of the pairs kept their sign (bench/audit.py). The server
    keeps fp32. One batch runs at a time (a lock); sampling draws on the CPU from each row's
    own generator, so a seed gives the same text on either device.
    """

    def __init__(
        self,
        model_dir: Path,
        model_name: str | None = None,
        precision: str = "fp32",
        max_batch_rows: int = DEFAULT_BATCH_ROWS,
        device: str = "auto",
        device_setting: str = "--device",
    ) -> None:
        from gemeingut.model.loading import load_causal_lm, load_tokenizer
        from gemeingut.model.machine import resolve_device, resolve_precision

        self.model_name = model_name or model_dir.name
        self.device = resolve_device(device, setting=device_setting)
        self.tokenizer = load_tokenizer(model_dir)
        self.model = load_causal_lm(model_dir).to(self.device)
        self.precision = resolve_precision(precision, self.device)
        self.max_batch_tokens = MAX_BATCH_TOKENS
        if self.device.type == "cuda":  # as many as the logits' budget holds, at least 1,024
            fitting = GPU_LOGIT_FLOATS // len(self.tokenizer)
            self.max_batch_tokens = max(1024, min(MAX_GPU_BATCH_TOKENS, fitting))
        self.context_length: int | None = getattr(
            self.model.config, "max_position_embeddings", None
        )
        self.stop_token_ids = _stop_token_ids(self.tokenizer, self.model.generation_config)
        self.vocab_limit: int = self.model.get_input_embeddings().num_embeddings
        # No token is longer than this, so a text of more than context × this many characters
        # cannot fit and is refused before the tokenizer spends time on it.
        vocabulary = self.tokenizer.convert_ids_to_tokens(range(len(self.tokenizer)))
        self.longest_token_chars = max((len(t or "") for t in vocabulary), default=1)
        self._vocabulary_bytes = vocabulary_bytes(self.tokenizer)
        self.utf8 = Utf8Guard(self._vocabulary_bytes, self.logits_size())  # `utf8.py`
        pad = self.tokenizer.pad_token_id
        self.pad_id: int = pad if pad is not None else (self.tokenizer.eos_token_id or 0)
        self._keeps_last_logits = (
            "logits_to_keep" in inspect.signature(self.model.forward).parameters
        )
        self._lock = ModelLock()  # one batch at a time; a waiter ends a running batch
        self.max_batch_rows = max_batch_rows
        self._batches: BatchScheduler | None = None
        self._batches_lock = threading.Lock()

    def logit_lens(self, ids: list[int], top: int) -> list[list[tuple[int, float]]]:
        """What each layer would predict after `ids` (`lens.layer_guesses`)."""
        from gemeingut.serve.backends.lens import layer_guesses

        self._budgets([ids], SamplingParams(max_tokens=0))  # the prompt must fit the context
        with self._lock:
            return layer_guesses(self.model, ids, top, self.device)

    # --- the tokenizer, lent to clients (/tokenize, /detokenize, /tokenizer_info) -------------

    def tokenize(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def detokenize(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        check_ids(ids, self.vocab_limit, param="tokens")
        return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def token_strings(self, ids: list[int]) -> list[str]:
        """Each token's own text (a token holding part of a character shows U+FFFD)."""
        return self.tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=False)

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        """Each token's bytes: those of part of a character where it holds one (which its
        text, U+FFFD, does not say), else its text's in UTF-8."""
        known = self._vocabulary_bytes
        texts = self.token_strings(ids)
        return [
            known[i] if i < len(known) and known[i] is not None else text.encode("utf-8")
            for i, text in zip(ids, texts, strict=True)
        ]

    def text_offsets(self, ids: list[int], skip_special_tokens: bool) -> list[int]:
        """Where each token starts in the text that `decode` gives of all of them; a token
        that goes on with a character starts where the character does (`offsets.py`)."""
        special = set(self.tokenizer.all_special_ids)
        names = self.tokenizer.convert_ids_to_tokens(ids)
        plain = [
            i not in special and not byte_fallback(name) for i, name in zip(ids, names, strict=True)
        ]

        def texts(spans: list[tuple[int, int]]) -> list[str]:
            return self.tokenizer.batch_decode(
                [ids[start:end] for start, end in spans], skip_special_tokens=skip_special_tokens
            )

        return text_offsets(texts, self.token_bytes(ids), plain)

    def tokenizer_info(self) -> dict[str, Any]:
        tok = self.tokenizer
        return {
            "tokenizer_class": type(tok).__name__,
            "bos_token": tok.bos_token,
            "eos_token": tok.eos_token,
            "pad_token": tok.pad_token,
            "unk_token": tok.unk_token,
            "chat_template": getattr(tok, "chat_template", None),
            "model_max_length": self.context_length,
            "vocab_size": self.logits_size(),
        }

    def logits_size(self) -> int:
        """How many tokens the model gives a logit: a padded model (vocabulary rounded up to a
        multiple of 64) has more than the tokenizer knows, and a client that spreads the
        unlisted probability over the vocabulary must count those too."""
        output = self.model.get_output_embeddings()
        size = getattr(output, "out_features", None) or getattr(
            self.model.config, "vocab_size", None
        )
        return max(len(self.tokenizer), size or 0)

    def apply_chat_template(
        self, messages: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        if not getattr(self.tokenizer, "chat_template", None):
            raise RequestRejected(
                _(
                    "model {name!r} has no chat template; use /v1/completions",
                    name=self.model_name,
                ),
                param="messages",
                code="no_chat_template",
            )
        from jinja2 import TemplateError

        try:
            return self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=add_generation_prompt
            )
        except TemplateError as refused:  # e.g. "roles must alternate user/assistant"
            raise RequestRejected(
                _("the model's chat template refuses these messages: {refused}", refused=refused),
                param="messages",
                code="invalid_value",
            ) from None

    # --- generation ---------------------------------------------------------------------------

    def encode_prompt(self, prompt: Prompt) -> list[int]:
        """Token ids of a text prompt, or a token-id prompt checked against the vocabulary."""
        if isinstance(prompt, str):
            ids: list[int] = self.tokenizer(prompt)["input_ids"]
            # A chat template may write the BOS itself; the tokenizer would then add a second.
            bos = self.tokenizer.bos_token_id
            if bos is not None and len(ids) >= 2 and ids[0] == ids[1] == bos:
                ids = ids[1:]
        else:
            ids = list(prompt)
            check_ids(ids, self.vocab_limit, param="prompt")
        if not ids:
            raise RequestRejected(_("the prompt is empty"), code="empty_prompt")
        return ids

    def _encode_request(self, prompt: Prompt) -> list[int]:
        """`encode_prompt` for a prompt that must fit the context whole: a text too long to
        fit is refused before the tokenizer spends time on it."""
        measurable = self.context_length is not None and isinstance(prompt, str)
        if measurable and len(prompt) > self.context_length * self.longest_token_chars:
            raise RequestRejected(
                _(
                    "this model's maximum context length is {context} tokens, and a prompt of "
                    "{chars} characters cannot fit in it; shorten it",
                    context=self.context_length,
                    chars=len(prompt),
                ),
                code="context_length_exceeded",
            )
        return self.encode_prompt(prompt)

    def max_tokens_needed(self, prompts: list[Prompt], params: SamplingParams, n: int = 1) -> int:
        rows = [self._encode_request(p) for p in prompts]
        budgets = self._budgets(rows, params)
        return sum(len(row) + n * budget for row, budget in zip(rows, budgets, strict=True))

    def generate(self, prompt: Prompt, params: SamplingParams) -> GenerationResult:
        return self.generate_batch([prompt], params)[0]

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        rows = [ids for ids in map(self._encode_request, prompts) for _ in range(n)]
        seeds = [None if params.seed is None else params.seed + i % n for i in range(len(rows))]
        self._budgets(rows, params)  # every prompt is checked before any runs
        if params.prompt_logprobs is None:  # joins other requests' batches
            # Longest first: rows of one batch are padded to its longest prompt.
            order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
            jobs = {i: Job(rows[i], params, seeds[i]) for i in order}
            if cancel is not None:  # every row of the request stops when its client leaves
                for job in jobs.values():
                    job.cancelled = cancel
            self._scheduler().submit([jobs[i] for i in order])
            return [_answer(jobs[i], cancel) for i in range(len(rows))]
        jobs = [Job(row, params, seed) for row, seed in zip(rows, seeds, strict=True)]
        if cancel is not None:
            for job in jobs:
                job.cancelled = cancel
        finished: dict[Job, GenerationResult] = {}
        # Rows run in batches of bounded size: the prefill's logits are rows × width × vocab.
        for batch in length_batches(rows, self.max_batch_tokens):
            for step in decode(self, [jobs[i] for i in batch], len(batch)):
                finished.update(step.finished)
        return [finished[job] for job in jobs]

    def stream(self, prompt: Prompt, params: SamplingParams) -> TextStream:
        ids = self._encode_request(prompt)
        self._budgets([ids], params)  # a request that cannot run is refused now, not midway
        job = Job(ids, params, params.seed)
        self._scheduler().submit([job])
        return TextStream(_job_pieces(job), partial(_stopped, job), partial(_so_far, job))

    def embed(self, prompts: list[Prompt]) -> list[tuple[list[float], int]]:
        """Mean of the last layer's hidden states over the prompt's tokens, L2-normalised (what
        llama.cpp's `--pooling mean` gives a causal LM). Rows are right-padded and masked, so
        a text's vector does not depend on what else was in its batch."""
        import torch

        rows = [self._encode_request(p) for p in prompts]
        self._budgets(rows, SamplingParams(max_tokens=0))  # every prompt must fit the context
        vectors: list[list[float]] = [[] for _ in rows]
        with self._lock, torch.inference_mode():
            for batch in length_batches(rows, self.max_batch_tokens):
                width = max(len(rows[i]) for i in batch)
                ids = [rows[i] + [self.pad_id] * (width - len(rows[i])) for i in batch]
                mask = torch.tensor(
                    [[1] * len(rows[i]) + [0] * (width - len(rows[i])) for i in batch],
                    device=self.device,
                )
                kwargs: dict[str, Any] = {"output_hidden_states": True}
                if self._keeps_last_logits:
                    kwargs["logits_to_keep"] = 1  # the head's logits are not needed
                input_ids = torch.tensor(ids, device=self.device)
                out = self.model(input_ids=input_ids, attention_mask=mask, **kwargs)
                hidden = out.hidden_states[-1].float() * mask[..., None]
                pooled = hidden.sum(dim=1) / mask.sum(dim=1, keepdim=True)
                normed = torch.nn.functional.normalize(pooled, dim=-1).cpu()
                for i, vector in zip(batch, normed, strict=True):
                    vectors[i] = vector.tolist()
        return [(vector, len(row)) for vector, row in zip(vectors, rows, strict=True)]

    def _scheduler(self) -> BatchScheduler:
        with self._batches_lock:  # started on first use: audits that only score never need it
            if self._batches is None:
                self._batches = BatchScheduler(
                    partial(decode, self, max_rows=self.max_batch_rows),
                    self.max_batch_rows,
                    self.max_batch_tokens,
                )
            return self._batches

    def _forward(
        self,
        input_ids: torch.Tensor,
        mask: torch.Tensor | None,
        positions: torch.Tensor,
        cache: Any,
        all_logits: bool,
        use_cache: bool,
    ) -> Any:
        kwargs: dict[str, Any] = {"input_ids": input_ids, "use_cache": use_cache}
        if mask is not None or cache is not None:  # else the defaults: 0, 1, 2, … per row
            kwargs["position_ids"] = positions
        if mask is not None:
            kwargs["attention_mask"] = mask
        if cache is not None:
            kwargs["cache"] = cache
        if not all_logits and self._keeps_last_logits:  # the lm head for one position only
            kwargs["logits_to_keep"] = 1
        from gemeingut.model.machine import autocast

        with autocast(self.device, self.precision):
            return self.model(**kwargs)

    def _budgets(self, rows: list[list[int]], params: SamplingParams) -> list[int]:
        return [self._answer_budget(len(r), params.max_tokens) for r in rows]

    def _answer_budget(self, prompt_tokens: int, max_tokens: int | None) -> int:
        """Tokens we may generate. A too-large `max_tokens` is clamped rather than refused,
        because clients often send one large default for every model they talk to."""
        if self.context_length is None:
            return FALLBACK_MAX_TOKENS if max_tokens is None else max_tokens
        room = self.context_length - prompt_tokens
        if room < 0 or (room == 0 and max_tokens != 0):
            raise RequestRejected(
                _(
                    "this model's maximum context length is {context} tokens, but the prompt "
                    "has {count}; shorten it",
                    context=self.context_length,
                    count=prompt_tokens,
                ),
                code="context_length_exceeded",
            )
        return room if max_tokens is None else min(max_tokens, room)


def _job_pieces(job: Job) -> Generator[str, None, GenerationResult]:
    """A job's text pieces as they are generated; closing early cancels the job's row."""
    try:
        while (made := job.pieces.get()) is not DONE:
            piece, job.sent = made
            yield piece
        return job.wait()
    finally:
        if not job.finished.is_set():
            job.cancel()


def _answer(job: Job, cancel: threading.Event | None) -> GenerationResult:
    """The job's answer; where its client leaves while it still waits for a row, it ends at
    once (`Job.cancel`) instead of holding this worker thread until a batch has room."""
    while cancel is not None and not job.finished.wait(CANCEL_POLL_S):
        if cancel.is_set():
            job.cancel()
    return job.wait()


def _so_far(job: Job) -> tuple[int, int]:
    """The prompt's tokens and those generated up to the last piece taken out."""
    return len(job.ids), job.sent


def _stopped(job: Job) -> GenerationResult | None:
    """What a job whose stream was closed early generated: its row stops at the next step and
    reports its tokens (a job still waiting ends with its prompt's). None where it failed, or
    did not stop within `STOP_WAIT_S`."""
    job.cancel()  # also where the stream was closed before its first piece was asked for
    if not job.finished.wait(STOP_WAIT_S) or job.error is not None:
        return None
    return job.result


def length_batches(rows: list[list[int]], max_tokens: int) -> list[list[int]]:
    """Row indices grouped longest first so that a batch pads little and holds at most
    `max_tokens` padded tokens (always at least one row)."""
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * len(rows[batches[-1][0]]) <= max_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


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
