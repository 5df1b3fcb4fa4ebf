"""Concurrent requests to the in-process model run as one batch, and batching changes no answer:
greedy and seeded text is what each request gets alone; a stream whose client left stops."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from gemeingut.serve.backends import SamplingParams, TextStream, TransformersBackend
from gemeingut.serve.backends.batching import Job
from gemeingut.serve.backends.transformers import _job_pieces

PROMPTS = [
    "Die Katze",
    "Der Bäcker backt am Morgen das Brot für die ganze Stadt und",
    "Das Kind malt",
    "Die Lehrerin sucht den Garten, den Fluss und die Brücke, denn",
    "Der Hund",
    "A baker",
]


def test_batched_answers_equal_the_answers_of_each_request_alone(
    backend: TransformersBackend,
) -> None:
    for params in (
        SamplingParams(max_tokens=12, temperature=0.0),
        SamplingParams(max_tokens=12, temperature=0.9, top_p=0.9, seed=7),
    ):
        alone = [backend.generate(p, params).text for p in PROMPTS]
        before = len(backend._scheduler().recent_batch_sizes)
        together = [r.text for r in backend.generate_batch(PROMPTS, params)]
        sizes = list(backend._scheduler().recent_batch_sizes)[before:]
        assert together == alone
        assert sizes == [len(PROMPTS)]  # one batch of six rows, not six batches


def test_concurrent_requests_from_threads_share_batches(backend: TransformersBackend) -> None:
    params = SamplingParams(max_tokens=16, temperature=0.0)
    alone = {p: backend.generate(p, params).text for p in PROMPTS}
    before = len(backend._scheduler().recent_batch_sizes)
    with ThreadPoolExecutor(len(PROMPTS) * 2) as pool:
        answers = list(pool.map(lambda p: (p, backend.generate(p, params).text), PROMPTS * 2))
    assert all(text == alone[p] for p, text in answers)
    sizes = list(backend._scheduler().recent_batch_sizes)[before:]
    assert sum(sizes) == len(answers) and max(sizes) > 1


def test_a_closed_stream_stops_its_row(backend: TransformersBackend) -> None:
    ids = backend.encode_prompt("Die Katze")
    job = Job(ids, SamplingParams(max_tokens=200, temperature=0.9, seed=1), seed=1)
    backend._scheduler().submit([job])
    stream = TextStream(_job_pieces(job))
    next(stream)
    stream.close()  # what the server does when the client hangs up
    assert job.cancelled.is_set()
    result = job.wait()
    # Neither a stop token nor the budget ended it: the row stopped when its client left.
    assert result.finish_reason == "length" and result.completion_tokens < 200


def test_a_cancelled_request_returns_at_once_with_what_it_has(
    backend: TransformersBackend,
) -> None:
    cancel = threading.Event()
    cancel.set()
    params = SamplingParams(max_tokens=200, temperature=0.9, seed=1)
    [result] = backend.generate_batch(["Die Katze"], params, cancel=cancel)
    assert result.completion_tokens == 0 and result.prompt_tokens > 0
