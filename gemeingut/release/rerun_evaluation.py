"""`verify --rerun`: the evaluation's numbers on the test split computed again from the bundle.

`training-metadata/evaluation.json` states loss, perplexity and bits per byte of the released
model on the test documents; the card and its `model-index` print them. The evaluation records
no number per document, and its windows of `context_length` tokens run across document
boundaries, so a sample of documents would have nothing recorded to be compared with: the
re-run scores all the test documents the evaluation scored, with the bundle's model and
tokenizer, in the windows and batches the evaluation used (its `batch_size` from the lineage).
That costs what the evaluation cost, which grows with the test tokens: on the demo bundle
(2,069 tokens, 5 windows of 512) 0.4 s of scoring after 2-4 s of loading on one CPU thread.
The evaluation always scores on the CPU in fp32 (`load_causal_lm`), and so does this re-run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.layout import MODEL, TEST_DATA, TEST_SHARDS
from gemeingut.release.verify_numbers import EVALUATION, LINEAGE, evaluated_texts

# Nats the re-scored loss may differ by. Measured on the demo bundle, CPU against CPU in fp32:
# with the recorded batch size the loss came out equal to the last bit, with 1 or 2 threads;
# with batches of 1 instead of 8, by 2.4e-7. 1e-5 leaves forty times that for other CPUs'
# kernels and still names a change in the fourth decimal that the card prints.
TOLERANCE = 1e-5
DEVICE, PRECISION = "cpu", "fp32"  # `load_causal_lm`'s, for the evaluation and this re-run
DEFAULT_BATCH_SIZE = 8  # `[evaluate] batch_size`'s default, for a lineage that records none


@dataclass(frozen=True)
class EvaluationRerun:
    documents: int
    tokens: int  # the test tokens scored again: all the evaluation scored
    batch_size: int
    tolerance: float  # nats of loss; perplexity and bits per byte by the same margin
    problems: list[Message]
    largest: float | None = None  # nats the loss differs by; None where none is recorded


def has_evaluation(bundle: Path) -> bool:
    return (bundle / EVALUATION).is_file()


def rerun_evaluation(bundle: Path) -> EvaluationRerun:
    """Every number of `evaluation.json` that a model computes, scored again on all the test
    documents it counted and compared with the record."""
    from transformers import AutoTokenizer

    from gemeingut.evaluate.perplexity import score_texts
    from gemeingut.model.loading import load_causal_lm

    recorded = json.loads((bundle / EVALUATION).read_text(encoding="utf-8"))
    texts = _test_texts(bundle, int(recorded["documents"]))
    batch_size = _batch_size(bundle)
    tokenizer = AutoTokenizer.from_pretrained(str(bundle / MODEL))
    again = score_texts(load_causal_lm(bundle / MODEL), tokenizer, texts, batch_size)
    problems = [
        _(
            "{file}: {key} is {recorded}, the bundle's model gives {computed}",
            file=EVALUATION,
            key=key,
            recorded=_said(recorded.get(key)),
            computed=_said(again[key]),
        )
        for key, margin in _margins(again).items()
        if not _within(recorded.get(key), again[key], margin)
    ]
    loss = recorded.get("loss")
    largest = abs(loss - again["loss"]) if _number(loss) else None
    return EvaluationRerun(len(texts), again["tokens"], batch_size, TOLERANCE, problems, largest)


def _margins(again: dict[str, Any]) -> dict[str, float]:
    """What each number may differ by when the loss differs by TOLERANCE: perplexity is
    exp(loss), bits per byte loss × tokens / (bytes × ln 2); the token count must be equal."""
    per_byte = again["tokens"] / (again["bytes"] * math.log(2)) if again["bytes"] else 0.0
    return {
        "tokens": 0.0,
        "loss": TOLERANCE,
        "perplexity": again["perplexity"] * math.expm1(TOLERANCE),
        "bits_per_byte": TOLERANCE * per_byte,
    }


def _within(recorded: Any, computed: float, margin: float) -> bool:
    return _number(recorded) and abs(recorded - computed) <= margin * (1 + 1e-9)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _said(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _test_texts(bundle: Path, documents: int) -> list[str]:
    """The first `documents` test documents in the order the evaluation read them (its
    shards, as the bundle publishes them)."""
    shards = [
        f"{TEST_DATA}/{shard.name}" for shard in sorted((bundle / TEST_DATA).glob(TEST_SHARDS))
    ]
    return list(islice(evaluated_texts(bundle, shards), documents))


def _batch_size(bundle: Path) -> int:
    """The evaluation's batch size (the lineage's params): windows of equal length share a
    batch, which decides the order of the sums."""
    path = bundle / LINEAGE
    if not path.is_file():
        return DEFAULT_BATCH_SIZE
    params = (json.loads(path.read_text(encoding="utf-8")).get("evaluation") or {}).get("params")
    size = (params or {}).get("batch_size")
    return size if isinstance(size, int) and size >= 1 else DEFAULT_BATCH_SIZE
