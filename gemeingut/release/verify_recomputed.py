"""What `verify` computes again beyond the claims check: the GGUF against the weights and the
release, the records' numbers against their sources, the checkpoints against their list, the
curation's count tables against the shards, and `openness.json` as a whole (each fine-tune's
data and weights against its lineage are checked first, in `verify`). Each check that meets
a record it cannot read names it and lets the others run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message
from gemeingut.release.card import model_index_problems
from gemeingut.release.layout import CARD, FINETUNE_RECORD, OPENNESS
from gemeingut.release.openness.corpus_size import corpus_problems
from gemeingut.release.verify_gguf import GGUF_PATH, gguf_problems
from gemeingut.release.verify_guard import guarded
from gemeingut.release.verify_numbers import (
    EVALUATION,
    TRAINING,
    checkpoint_problems,
    evaluation_problems,
    finetune_problems,
    training_problems,
)
from gemeingut.release.verify_openness import openness_problems
from gemeingut.release.verify_parquet import parquet_problems
from gemeingut.release.verify_stats_counts import STATS, stats_count_problems


def recomputed_problems(
    bundle: Path, listed: dict[str, str], rating: dict[str, Any] | None
) -> list[str | Message]:
    """Every problem of the checks above; `listed`: the MANIFEST's digests, already checked."""
    checks: list[tuple[Callable[[], list[Message] | list[str | Message]], str]] = [
        (lambda: gguf_problems(bundle, listed), GGUF_PATH),
        (lambda: training_problems(bundle, listed), TRAINING),
        (lambda: corpus_problems(bundle), TRAINING),  # its windows against the shards
        (lambda: finetune_problems(bundle, listed), FINETUNE_RECORD),
        (lambda: evaluation_problems(bundle, listed), EVALUATION),
        (lambda: checkpoint_problems(bundle, listed), TRAINING),
        (lambda: model_index_problems(bundle, listed), CARD),  # model-index's test shards
        (lambda: parquet_problems(bundle, listed), TRAINING),  # windows table, exclusions
        (lambda: stats_count_problems(bundle, listed), STATS),  # its tables against the shards
    ]
    if rating is not None:
        checks.append((lambda: openness_problems(bundle, rating), OPENNESS))
    problems: list[str | Message] = []
    for check, file in checks:  # the file each check reads first names what stopped it
        problems.extend(guarded(check, file))
    return problems
