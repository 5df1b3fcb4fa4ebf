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


def test_requests_join_a_running_batch_and_leave_it_when_done(
    backend: TransformersBackend,
) -> None:
    """Continuous batching: short requests that arrive while a long answer runs join its
    batch after a step, and are answered while it still runs; joining changes no answer,
    neither theirs (prompts longer and shorter than the batch's cache) nor the long one's."""
    long = SamplingParams(max_tokens=200, temperature=0.0)
    short = SamplingParams(max_tokens=6, temperature=0.0)
    seeded = SamplingParams(max_tokens=6, temperature=0.9, top_p=0.9, seed=5)
    alone_long = backend.generate(PROMPTS[1], long)
    assert alone_long.finish_reason == "length"  # it runs its whole budget: 200 steps
    alone = {(p, s.seed): backend.generate(p, s).text for p in PROMPTS for s in (short, seeded)}
    job = Job(backend.encode_prompt(PROMPTS[1]), long, seed=None)
    before = len(backend._scheduler().recent_batch_sizes)
    backend._scheduler().submit([job])
    pieces = _job_pieces(job)
    first = next(pieces)  # the long answer is under way
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda case: (case, backend.generate(case[0], case[1]).text),
                [(p, s) for p in PROMPTS for s in (short, seeded)],
            )
        )
    assert not job.finished.is_set()  # all short ones were answered beside the long one
    assert all(text == alone[(p, s.seed)] for (p, s), text in answers)
    rest = "".join(pieces)
    assert first + rest == alone_long.text and job.wait().completion_tokens == 200
    sizes = list(backend._scheduler().recent_batch_sizes)[before:]
    assert sizes[0] == 1 and sum(sizes) == 1 + len(answers)  # the others joined, not waited


def test_a_sliding_window_cache_runs_its_batch_to_the_end(model_dir, tmp_path) -> None:
    """A cache that cannot be left-padded (Mistral's sliding window) takes no joining rows:
    later requests wait for the next batch, and every answer is still its own alone."""
    import shutil

    from transformers import MistralConfig, MistralForCausalLM

    for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        shutil.copy(model_dir / name, tmp_path / name)
    sizes = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2}
    sizes |= {"num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256}
    config = MistralConfig(vocab_size=400, sliding_window=8, **sizes)
    MistralForCausalLM(config).save_pretrained(tmp_path)
    mistral = TransformersBackend(tmp_path, model_name="fenster")
    long = SamplingParams(max_tokens=60, temperature=0.0)
    short = SamplingParams(max_tokens=4, temperature=0.0)
    alone = mistral.generate(PROMPTS[1], long).text
    alone_short = mistral.generate(PROMPTS[3], short).text
    job = Job(mistral.encode_prompt(PROMPTS[1]), long, seed=None)
    beside = Job(mistral.encode_prompt(PROMPTS[3]), short, seed=None)  # leaves the batch early
    mistral._scheduler().submit([job, beside])
    pieces = _job_pieces(job)
    first = next(pieces)
    later = mistral.generate(PROMPTS[0], short)
    assert job.finished.is_set() and later.completion_tokens > 0  # it waited for the long one
    assert first + "".join(pieces) == alone and beside.wait().text == alone_short


def test_a_batch_that_others_keep_joining_ends_for_an_embedding(
    backend: TransformersBackend,
) -> None:
    """Requests that keep coming would keep a continuous batch, and the model's lock, forever:
    one that waits for the lock (here an embedding) makes the batch take no new rows and end."""
    long = SamplingParams(max_tokens=200, temperature=0.0)
    short = SamplingParams(max_tokens=30, temperature=0.0)
    job = Job(backend.encode_prompt(PROMPTS[1]), long, seed=None)
    backend._scheduler().submit([job])
    next(_job_pieces(job))
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            backend.generate(PROMPTS[0], short)

    with ThreadPoolExecutor(9) as pool:
        for _ in range(8):  # eight at a time: the batch never runs empty by itself
            pool.submit(keep_asking)
        try:
            embedded = pool.submit(backend.embed, ["Die Katze"]).result(timeout=60)
        finally:
            stop.set()
    assert len(embedded) == 1 and job.finished.is_set()
