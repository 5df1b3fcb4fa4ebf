"""Concurrent requests to the in-process model run together, as one batch.

One worker thread owns the generation loop. A request (a prompt, its sampling settings, its
seed) becomes a `Job`; while a batch runs, new jobs wait, and when it ends the worker takes all
waiting jobs (up to `max_rows` rows and `max_tokens` padded prompt tokens) into the next batch.
On a CPU a forward pass over 32 rows costs little more than over one, so throughput grows with
concurrency instead of staying flat. This is static batching: a job joins at the next batch, not
mid-way (continuous batching is what vLLM is for). Rows that score their prompt
(`prompt_logprobs`) run in a batch of their own settings, since the prefill differs for them.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from gemeingut.serve.backends.protocol import GenerationResult, SamplingParams

Decode = Callable[..., Generator[list[str], None, list[GenerationResult]]]
DONE = object()  # ends a job's piece queue


@dataclass
class Job:
    """One row of some future batch: its pieces arrive in `pieces`, then `DONE`."""

    ids: list[int]
    params: SamplingParams
    seed: int | None
    pieces: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    result: GenerationResult | None = None
    error: BaseException | None = None

    def cancel(self) -> None:
        """The client left: the row stops at the next step (or is skipped if still waiting)."""
        self.cancelled.set()

    def wait(self) -> GenerationResult:
        self.finished.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def _finish(self, result: GenerationResult | None, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.finished.set()
        self.pieces.put(DONE)


class BatchScheduler:
    def __init__(self, decode: Decode, max_rows: int, max_tokens: int) -> None:
        self._decode = decode
        self.max_rows = max_rows
        self.max_tokens = max_tokens
        self._waiting: deque[Job] = deque()
        self.recent_batch_sizes: deque[int] = deque(maxlen=1000)  # rows per batch, for metrics
        self._wake = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="gemeingut-batches", daemon=True)
        self._worker.start()

    def submit(self, jobs: list[Job]) -> None:
        with self._wake:
            self._waiting.extend(jobs)
            self._wake.notify()

    def _next_batch(self) -> list[Job]:
        """Wait for work; then the oldest job and the waiting jobs that fit beside it."""
        with self._wake:
            while not self._waiting:
                self._wake.wait()
            first = self._waiting.popleft()
            batch, width = [first], len(first.ids)
            scoring = first.params.prompt_logprobs
            kept: deque[Job] = deque()
            while self._waiting and len(batch) < self.max_rows:
                job = self._waiting.popleft()
                wider = max(width, len(job.ids))
                if (
                    job.params.prompt_logprobs != scoring
                    or wider * (len(batch) + 1) > self.max_tokens
                ):
                    kept.append(job)
                    continue
                batch.append(job)
                width = wider
            kept.extend(self._waiting)
            self._waiting = kept
            return batch

    def _run(self) -> None:
        while True:
            batch = []
            for job in self._next_batch():
                if job.cancelled.is_set():  # left before its turn: nothing to compute
                    job._finish(_nothing(job), None)
                else:
                    batch.append(job)
            if batch:
                self.recent_batch_sizes.append(len(batch))
                self._run_batch(batch)

    def _run_batch(self, batch: list[Job]) -> None:
        try:
            steps = self._decode(
                [job.ids for job in batch],
                [job.params for job in batch],
                [job.seed for job in batch],
                [job.cancelled for job in batch],
            )
            while True:
                try:
                    pieces = next(steps)
                except StopIteration as finished:
                    results = finished.value
                    break
                for job, piece in zip(batch, pieces, strict=True):
                    if piece:
                        job.pieces.put(piece)
        except BaseException as error:  # the engine failed: every job of the batch hears it
            for job in batch:
                job._finish(None, error)
            return
        for job, result in zip(batch, results, strict=True):
            job._finish(result, None)


def _nothing(job: Job) -> GenerationResult:
    return GenerationResult(
        text="",
        prompt_tokens=len(job.ids),
        completion_tokens=0,
        finish_reason="length",
        prompt_ids=tuple(job.ids),
    )
