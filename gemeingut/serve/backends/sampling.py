"""One row of a generating batch, and how it picks and scores its tokens.

`Row` keeps what a sequence generated and what of it is safe to send (held back: an unfinished
UTF-8 character, or what may still become a stop string); `pick_token` samples as OpenAI's
parameters ask; the log-probability helpers turn logits into the `TokenLogprob`s the routes
format. The transformers backend's decode loop (`transformers.py`) drives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gemeingut.serve.backends.protocol import (
    FinishReason,
    GenerationResult,
    SamplingParams,
    TokenLogprob,
    first_stop,
    stable_length,
)
from gemeingut.serve.backends.utf8 import BOUNDARY

if TYPE_CHECKING:
    import torch

    from gemeingut.serve.backends.transformers import TransformersBackend

SCORING_FLOATS = 2**28  # logits turned into log-probabilities at once (1 GiB in fp32)
# Below this temperature sampling is greedy (vLLM's _SAMPLING_EPS): dividing logits by 1e-40
# overflows to inf and the softmax to NaN.
GREEDY_BELOW = 1e-5


@dataclass
class Row:
    """One sequence in a batch: what it generated so far and what has been sent of it."""

    prompt: list[int]
    budget: int
    generated: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    logprobs: list[TokenLogprob] = field(default_factory=list)
    prompt_logprobs: tuple[TokenLogprob | None, ...] | None = None
    text: str = ""
    emitted: int = 0
    finish: FinishReason = "length"
    done: bool = False
    stopped_by_token: bool = False
    utf8: int = BOUNDARY  # what the answer's next byte must be (`utf8.py`)

    def __post_init__(self) -> None:
        self.done = self.budget == 0

    def add(
        self,
        token: int,
        chosen: TokenLogprob | None,
        backend: TransformersBackend,
        stops: tuple[str, ...],
    ) -> str:
        """Take the next token; the text that is now safe to send. Detokenize as tokens
        arrive, holding back only text that may still change: an unfinished UTF-8 character,
        or the start of what may become a stop string."""
        self.generated.append(token)
        self.utf8 = backend.utf8.step(self.utf8, token)
        if chosen is not None:
            self.logprobs.append(chosen)
        if token in backend.stop_token_ids:
            self.finish, self.done, self.stopped_by_token = "stop", True, True
            return ""
        self.kept.append(token)
        # Decoding the whole answer again, not just the new token, keeps characters whose
        # bytes span two tokens intact; it costs far less than a forward pass.
        self.text = backend.tokenizer.decode(self.kept, skip_special_tokens=True)
        cut = first_stop(self.text, stops)
        if cut is not None:
            self.text, self.finish, self.done = self.text[:cut], "stop", True
            # Tokens that begin inside the stop string are not part of the answer.
            decode = backend.tokenizer.decode
            while self.kept and len(decode(self.kept[:-1], skip_special_tokens=True)) >= cut:
                self.kept.pop()
                if chosen is not None:
                    self.logprobs.pop()
            return ""
        if len(self.generated) >= self.budget:
            self.done = True
            return ""
        ready = stable_length(self.text, stops)
        piece = self.text[self.emitted : ready] if ready > self.emitted else ""
        self.emitted = max(self.emitted, ready)
        return piece

    def flush(self) -> str:
        piece = self.text[self.emitted :]
        self.emitted = len(self.text)
        return piece

    def result(self, params: SamplingParams) -> GenerationResult:
        return GenerationResult(
            text=self.text,
            prompt_tokens=len(self.prompt),
            completion_tokens=len(self.generated),
            finish_reason=self.finish,
            prompt_ids=tuple(self.prompt),
            token_ids=tuple(self.kept) + ((self.generated[-1],) if self.stopped_by_token else ()),
            stop_token=self.stopped_by_token,
            logprobs=tuple(self.logprobs) if params.logprobs is not None else None,
            prompt_logprobs=self.prompt_logprobs,
        )


def seeded_generator(seed: int | None) -> torch.Generator:
    import torch

    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def pick_token(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> int:
    """Greedy at temperature 0 (or one too small to divide by), otherwise sample from the
    top-p nucleus."""
    import torch

    if params.temperature < GREEDY_BELOW:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float() / params.temperature, dim=-1)
    if params.top_p >= 1.0:
        return int(torch.multinomial(probs, 1, generator=generator))
    sorted_probs, order = torch.sort(probs, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=0) - sorted_probs
    keep = mass_before < params.top_p
    keep[0] = True  # the likeliest token always stays, even at top_p 0
    nucleus = sorted_probs * keep
    return int(order[torch.multinomial(nucleus, 1, generator=generator)])


def token_logprob(logits: torch.Tensor, token: int, top_k: int | None) -> TokenLogprob | None:
    """The model's own log-probability of `token` (temperature and top-p leave it alone, as
    OpenAI and vLLM report it)."""
    if top_k is None:
        return None
    import torch

    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return TokenLogprob(token, float(logprobs[token]), top(logprobs, top_k))


def chosen_logprobs(
    logits: torch.Tensor, rows: list[list[int]], starts: list[int]
) -> list[tuple[TokenLogprob | None, ...]]:
    """Every row's prompt tokens scored at once, with no alternatives: one gather and one
    log-sum-exp over the whole batch instead of a log-softmax per row (what scoring needs)."""
    import torch

    batch, width = logits.shape[:2]
    targets = torch.zeros(batch, width, dtype=torch.long)
    for i, (row, start) in enumerate(zip(rows, starts, strict=True)):
        targets[i, start : start + len(row) - 1] = torch.tensor(row[1:])
    targets = targets.to(logits.device)
    # A few rows at a time: the fp32 copy and log-sum-exp of the whole batch's logits would
    # take twice their size again.
    step = max(1, SCORING_FLOATS // max(1, width * logits.shape[-1]))
    parts = []
    for first in range(0, batch, step):
        block = logits[first : first + step].float()
        wanted = targets[first : first + step, :, None]
        parts.append(block.gather(2, wanted)[..., 0] - torch.logsumexp(block, dim=-1))
    chosen = torch.cat(parts).cpu()  # one copy from a GPU, not one per row
    scored = []
    for i, (row, start) in enumerate(zip(rows, starts, strict=True)):
        values = chosen[i, start : start + len(row) - 1].tolist()
        scored.append((None, *(TokenLogprob(t, v) for t, v in zip(row[1:], values, strict=True))))
    return scored


def prompt_logprobs(
    logits: torch.Tensor, prompt: list[int], top_k: int
) -> tuple[TokenLogprob | None, ...]:
    """`logits[j]` (from the prompt up to token j) scored against prompt token j + 1, with the
    `top_k` likeliest tokens at each position."""
    import torch

    targets = torch.tensor(prompt[1:])
    logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
    chosen_values = logprobs.gather(1, targets[:, None])[:, 0].tolist()
    scored: list[TokenLogprob | None] = [None]
    for position, (token, value) in enumerate(zip(prompt[1:], chosen_values, strict=True)):
        scored.append(TokenLogprob(token, value, top(logprobs[position], top_k)))
    return tuple(scored)


def top(logprobs: torch.Tensor, k: int) -> tuple[tuple[int, float], ...]:
    if k <= 0:
        return ()
    values, ids = logprobs.topk(min(k, logprobs.numel()))
    return tuple(zip(ids.tolist(), values.tolist(), strict=True))
