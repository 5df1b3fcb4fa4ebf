"""The token loop of the in-process model: rows join and leave a running batch between steps.

A batch starts with a prefill of its jobs' prompts (left-padded, one forward pass); each step
then picks one token per row from that row's own generator and feeds all rows' tokens in one
forward pass. A row that is done (a stop token or string, its budget, its client gone) leaves
the batch at once: its answer is finished, and its cache rows are dropped. Between steps the
scheduler may hand in new jobs: they are prefilled on their own and joined to the running
batch, their cache left-padded to the batch's length (the attention mask hides the padding,
the position ids count each row's own tokens). This is continuous batching: a request waits
for the next step, not for the longest answer of the batch before it.

Only rows of a plain key/value cache join (transformers' `DynamicLayer`): a sliding-window or
recurrent cache of other architectures cannot be padded so, and their batches run to the end
before new jobs start. Rows that score their prompt (`prompt_logprobs`) run alone.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gemeingut.serve.backends.batching import Job
from gemeingut.serve.backends.protocol import GenerationResult
from gemeingut.serve.backends.sampling import (
    GREEDY_BELOW,
    Row,
    chosen_logprobs,
    pick_token,
    prompt_logprobs,
    seeded_generator,
    token_logprob,
)

if TYPE_CHECKING:
    import torch

    from gemeingut.serve.backends.transformers import TransformersBackend


@dataclass
class Step:
    """What one step made: new text per job, the jobs that are done, and how many new jobs
    the batch can take now (0 where rows cannot join it)."""

    pieces: dict[Job, str] = field(default_factory=dict)
    finished: dict[Job, GenerationResult] = field(default_factory=dict)
    room: int = 0


@dataclass
class _Live:
    job: Job
    row: Row
    generator: torch.Generator
    reported: bool = False  # its answer is out


@dataclass
class _Batch:
    """The rows generating now and their tensors, row i of each being `live[i]`."""

    live: list[_Live]
    cache: Any  # the model's key/value cache; None when no row generates
    mask: torch.Tensor  # [rows, cached tokens]: 1 for a row's own tokens, 0 for padding
    last: torch.Tensor  # [rows]: the position of each row's last fed token
    logits: torch.Tensor  # [rows, vocabulary]: the next token's, on the CPU

    @property
    def joinable(self) -> bool:
        from transformers.cache_utils import DynamicLayer

        layers = getattr(self.cache, "layers", None)
        return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def decode(
    backend: TransformersBackend, jobs: list[Job], max_rows: int
) -> Generator[Step, list[Job] | None, None]:
    """Generate for `jobs` step by step; send new jobs in after a step to have them join.

    Holds the model's lock from the first step to the last; closing the generator releases it.
    `jobs` share `prompt_logprobs` (the first job's decides whether prompts are scored)."""
    import torch

    scoring = jobs[0].params.prompt_logprobs is not None
    with backend._lock:
        batch: _Batch | None = prefill(backend, jobs)
        while batch is not None:
            tokens, step = _pick(backend, batch)
            batch, tokens = _without_finished(batch, tokens)
            if not scoring and not backend._lock.wanted and (batch is None or batch.joinable):
                step.room = max_rows - (len(batch.live) if batch else 0)
            joining = yield step
            if batch is not None:
                batch = _forward_one(backend, batch, tokens)
            if joining:
                joined = prefill(backend, joining)
                batch = joined if batch is None else _merged(batch, joined, torch)


def prefill(backend: TransformersBackend, jobs: list[Job]) -> _Batch | None:
    """The jobs' prompts in one forward pass: their caches, and the logits of each one's first
    token (and the prompt's log-probabilities where they are asked for)."""
    import torch

    params = jobs[0].params
    rows = [job.ids for job in jobs]
    budgets = [backend._answer_budget(len(job.ids), job.params.max_tokens) for job in jobs]
    live = [
        _Live(job, Row(job.ids, budget), seeded_generator(job.seed))
        for job, budget in zip(jobs, budgets, strict=True)
    ]
    scoring = params.prompt_logprobs is not None
    # Only scoring: the last token predicts nothing, so it is not fed (as lm-eval does), and
    # rows are padded on the right, where causal attention never looks: no mask.
    only_scoring = scoring and max(budgets) == 0 and min(map(len, rows)) > 1
    fed = [r[:-1] for r in rows] if only_scoring else rows
    width = max(map(len, fed))
    padded = any(len(r) < width for r in fed) and not only_scoring
    starts = [0 if only_scoring else width - len(r) for r in fed]
    pad = backend.pad_id
    input_ids = torch.tensor(
        [
            r + [pad] * (width - len(r)) if only_scoring else [pad] * (width - len(r)) + r
            for r in fed
        ],
        device=backend.device,
    )
    mask = torch.tensor(
        [
            [0] * start + [1] * len(r) + [0] * (width - start - len(r))
            for start, r in zip(starts, fed, strict=True)
        ],
        device=backend.device,
    )
    positions = (
        torch.arange(width, device=backend.device).expand(len(fed), width)
        if only_scoring
        else (mask.cumsum(-1) - 1).clamp(min=0)
    )
    generating = max(budgets) > 0
    with torch.inference_mode():
        out = backend._forward(
            input_ids,
            mask if padded else None,
            positions,
            None,
            all_logits=scoring,
            use_cache=generating,
        )
        if scoring and params.prompt_logprobs == 0:
            chosen = chosen_logprobs(out.logits, rows, starts)
            for entry, values in zip(live, chosen, strict=True):
                entry.row.prompt_logprobs = values
        elif scoring:
            for i, entry in enumerate(live):
                predicting = out.logits[i, starts[i] : starts[i] + len(rows[i]) - 1]
                entry.row.prompt_logprobs = prompt_logprobs(
                    predicting, rows[i], params.prompt_logprobs
                )
        logits = out.logits[:, -1].float().cpu()  # picked with CPU generators
    return _Batch(live, out.cache if generating else None, mask, positions[:, -1], logits)


def _pick(backend: TransformersBackend, batch: _Batch) -> tuple[list[int], Step]:
    """One token for every row; the text each may send now, and the answers that are done."""
    import torch

    step = Step()
    tokens = [backend.pad_id] * len(batch.live)
    for i, entry in enumerate(batch.live):
        row, params = entry.row, entry.job.params
        if entry.reported:  # finished, in a cache that keeps its rows to the end
            continue
        if entry.job.cancelled.is_set():
            row.done = True  # its client left: no more work for it
        if not row.done:
            # Grad mode is thread-local and a stream may resume on another worker thread, so
            # inference mode is entered per step rather than around the loop.
            with torch.inference_mode():
                logits = batch.logits[i]
                if params.temperature >= GREEDY_BELOW:  # drawn: only tokens that keep the
                    logits = backend.utf8.masked(logits, row.utf8)  # text UTF-8 (`utf8.py`)
                tokens[i] = pick_token(logits, params, entry.generator)
                chosen = token_logprob(batch.logits[i], tokens[i], params.logprobs)
            step.pieces[entry.job] = row.add(tokens[i], chosen, backend, params.stop)
        if row.done:
            step.pieces[entry.job] = step.pieces.get(entry.job, "") + row.flush()
            step.finished[entry.job] = row.result(params)
            entry.reported = True
    return tokens, step


def _without_finished(batch: _Batch, tokens: list[int]) -> tuple[_Batch | None, list[int]]:
    """The batch without its finished rows (None when none is left) and the tokens of the rows
    left; cache columns that are padding for every row left are cut. A cache that cannot drop
    rows keeps them to the end of the batch, fed padding and not reported again."""
    keep = [i for i, entry in enumerate(batch.live) if not entry.row.done]
    if len(keep) == len(batch.live):
        return batch, tokens
    if not keep or batch.cache is None:
        return None, []
    if not hasattr(batch.cache, "batch_select_indices"):
        return batch, tokens
    import torch

    index = torch.tensor(keep, device=batch.mask.device)
    mask = batch.mask[index]
    batch.cache.batch_select_indices(index)
    if batch.joinable:  # a plain cache: its columns are the mask's
        start = int(mask.any(0).int().argmax())  # the first column some row still uses
        for layer in batch.cache.layers:
            layer.keys, layer.values = layer.keys[:, :, start:], layer.values[:, :, start:]
        mask = mask[:, start:]
    kept = _Batch(
        [batch.live[i] for i in keep], batch.cache, mask, batch.last[index], batch.logits[keep]
    )
    return kept, [tokens[i] for i in keep]


def _forward_one(backend: TransformersBackend, batch: _Batch, tokens: list[int]) -> _Batch:
    """Feed each row its picked token: the cache grows by one column, the logits are new."""
    import torch

    device = batch.mask.device
    mask = torch.cat(
        [batch.mask, torch.ones(len(tokens), 1, dtype=batch.mask.dtype, device=device)], 1
    )
    last = batch.last + 1
    with torch.inference_mode():
        out = backend._forward(
            torch.tensor(tokens, device=device)[:, None],
            mask if bool((mask == 0).any()) else None,
            last[:, None],
            batch.cache,
            all_logits=False,
            use_cache=True,
        )
        logits = out.logits[:, -1].float().cpu()
    return _Batch(batch.live, out.cache, mask, last, logits)


def _merged(batch: _Batch, joined: _Batch, torch: Any) -> _Batch:
    """`joined`'s rows added to `batch`: both caches left-padded to the longer one."""
    if joined.cache is None:  # rows with nothing to generate: done at their first pick
        joined_cache_layers: list[Any] = [None] * len(batch.cache.layers)
    else:
        joined_cache_layers = list(joined.cache.layers)
    length = max(batch.mask.shape[1], joined.mask.shape[1])

    def left_padded(tensor: torch.Tensor, dim: int) -> torch.Tensor:
        missing = length - tensor.shape[dim]
        if missing == 0:
            return tensor
        shape = list(tensor.shape)
        shape[dim] = missing
        return torch.cat([tensor.new_zeros(shape), tensor], dim)

    for layer, other in zip(batch.cache.layers, joined_cache_layers, strict=True):
        if other is None:  # no cache for these rows: zeros, hidden by their mask
            rows = len(joined.live)
            other_keys = layer.keys.new_zeros((rows, *layer.keys.shape[1:]))
            other_values = layer.values.new_zeros((rows, *layer.values.shape[1:]))
        else:
            other_keys, other_values = other.keys, other.values
        layer.keys = torch.cat([left_padded(layer.keys, 2), left_padded(other_keys, 2)], 0)
        layer.values = torch.cat([left_padded(layer.values, 2), left_padded(other_values, 2)], 0)
    mask = torch.cat(
        [left_padded(batch.mask, 1), left_padded(joined.mask.to(batch.mask.dtype), 1)], 0
    )
    return _Batch(
        batch.live + joined.live,
        batch.cache,
        mask,
        torch.cat([batch.last, joined.last]),
        torch.cat([batch.logits, joined.logits]),
    )
