"""Concurrent requests to the in-process model run together, as one batch.

One worker thread owns the generation loop. A request (a prompt, its sampling settings, its
seed) becomes a `Job`. The worker starts a batch with the waiting jobs (up to `max_rows` rows
and `max_tokens` padded prompt tokens); after each step of it, waiting jobs join the running
batch where it has room, and a job whose answer is done leaves it at once (`decoding.py`:
continuous batching). On a CPU a forward pass over 32 rows costs little more than over one, so
throughput grows with concurrency instead of staying flat, and a short answer does not wait
for a long one. Rows that score their prompt (`prompt_logprobs`) run in a batch of their own
settings, since the prefill differs for them, and nothing joins it.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gemeingut.serve.backends.protocol import GenerationResult, SamplingParams

if TYPE_CHECKING:
    from gemeingut.serve.backends.decoding import Step

Decode = Callable[[list["Job"]], Generator["Step", list["Job"] | None, None]]
DONE = object()  # ends a job's piece queue


class ModelLock:
    """The model's lock, which also tells whether someone waits for it (an embedding, a look
    inside the model, a scoring batch): a running batch then takes no new rows and ends, instead
    of holding the model for as long as requests keep coming."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting = 0
        self._counting = threading.Lock()

    @property
    def wanted(self) -> bool:
        return self._waiting > 0

    def __enter__(self) -> ModelLock:
        with self._counting:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._counting:
                self._waiting -= 1
        return self

    def __exit__(self, *_: object) -> None:
        self._lock.release()


@dataclass(eq=False)  # a job is itself, also as a key of what a step made
class Job:
    """One row of some future batch: its pieces arrive in `pieces`, each with the tokens the
    row had generated when it was made, then `DONE`; `sent` is that count of the last piece
    taken out (`_job_pieces`), what a stream's usage says with it."""

    ids: list[int]
    params: SamplingParams
    seed: int | None
    pieces: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    result: GenerationResult | None = None
    error: BaseException | None = None
    sent: int = 0
    scheduler: BatchScheduler | None = field(default=None, repr=False)  # once submitted

    def cancel(self) -> None:
        """The client left: the row stops at the next step; a job still waiting for a row
        ends at once (`BatchScheduler.withdraw`)."""
        self.cancelled.set()
        if self.scheduler is not None:
            self.scheduler.withdraw(self)

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
        """`decode(jobs)` runs a batch step by step; jobs sent in after a step join it."""
        self._decode = decode
        self.max_rows = max_rows
        self.max_tokens = max_tokens
        self._waiting: deque[Job] = deque()
        # rows of each prefill: a batch's start or the jobs that joined it after a step
        self.recent_batch_sizes: deque[int] = deque(maxlen=1000)
        self._wake = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="gemeingut-batches", daemon=True)
        self._worker.start()

    def submit(self, jobs: list[Job]) -> None:
        with self._wake:
            for job in jobs:
                job.scheduler = self
            self._waiting.extend(jobs)
            self._wake.notify()

    def withdraw(self, job: Job) -> None:
        """End a job whose client left before it had a row, with nothing computed. Left
        waiting, it would end only when a batch had room for it (after a long answer, or once
        an embedding gave the model back), and the stream that waits for its pieces would
        hold its worker thread and its place in the queue until then. A job already in a
        batch stops at the batch's next step instead."""
        with self._wake:
            try:
                self._waiting.remove(job)
            except ValueError:
                return
        job._finish(_nothing(job), None)

    def _next_batch(self) -> list[Job]:
        """Wait for work; then the oldest job and the waiting jobs that fit beside it."""
        with self._wake:
            while not self._waiting:
                self._wake.wait()
            first = self._waiting.popleft()
            return [first, *self._fitting(first.params.prompt_logprobs, self.max_rows - 1)]

    def _fitting(self, scoring: int | None, room: int) -> list[Job]:
        """Waiting jobs of the same scoring setting, oldest first, as many as `room` rows and
        `max_tokens` padded prompt tokens allow (the caller holds `_wake`)."""
        chosen: list[Job] = []
        width = 0
        kept: deque[Job] = deque()
        while self._waiting and len(chosen) < room:
            job = self._waiting.popleft()
            wider = self._widened(width, len(chosen), job)
            if job.params.prompt_logprobs != scoring or wider is None:
                kept.append(job)
                continue
            chosen.append(job)
            width = wider
        kept.extend(self._waiting)
        self._waiting = kept
        return chosen

    def _joining(self, room: int) -> list[Job]:
        """Waiting jobs that join the running batch now, oldest first: up to the first that
        cannot (one that scores its prompt, or too long), which the batch then ends for."""
        chosen: list[Job] = []
        with self._wake:
            width = 0
            while self._waiting and len(chosen) < room:
                job = self._waiting[0]
                wider = self._widened(width, len(chosen), job)
                if job.params.prompt_logprobs is not None or wider is None:
                    break
                chosen.append(self._waiting.popleft())
                width = wider
        return chosen

    def _widened(self, width: int, rows: int, job: Job) -> int | None:
        """The padded prompt width of `rows` rows of `width` with `job` beside them, or None
        where that would pass `max_tokens`."""
        wider = max(width, len(job.ids))
        return wider if wider * (rows + 1) <= self.max_tokens else None

    def _run(self) -> None:
        while True:
            batch = _started(self._next_batch())
            if batch:
                self._run_batch(batch)

    def _run_batch(self, batch: list[Job]) -> None:
        running = set(batch)
        self.recent_batch_sizes.append(len(batch))
        steps = self._decode(batch)
        try:
            step = next(steps)
            while True:
                for job, made in step.pieces.items():
                    job.pieces.put(made)
                for job, result in step.finished.items():
                    running.discard(job)
                    job._finish(result, None)
                joining = _started(self._joining(step.room))
                running.update(joining)
                if joining:
                    self.recent_batch_sizes.append(len(joining))
                try:
                    step = steps.send(joining or None)
                except StopIteration:
                    break
        except BaseException as error:  # the engine failed: every job of the batch hears it
            for job in running:
                job._finish(None, error)
        finally:
            steps.close()  # gives the model's lock back


def _started(jobs: list[Job]) -> list[Job]:
    """The jobs whose clients are still there; the others end with nothing computed."""
    started = []
    for job in jobs:
        if job.cancelled.is_set():
            job._finish(_nothing(job), None)
        else:
            started.append(job)
    return started


def _nothing(job: Job) -> GenerationResult:
    return GenerationResult(
        text="",
        prompt_tokens=len(job.ids),
        completion_tokens=0,
        finish_reason="length",
        prompt_ids=tuple(job.ids),
    )
