"""What `verify` computes again beyond the claims check: the GGUF against the weights and the
release, the records' numbers against their sources, the checkpoints against their list, and
`openness.json` as a whole. Each check that meets a record it cannot read names it and lets
the others run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.verify_gguf import gguf_problems
from gemeingut.release.verify_numbers import (
    checkpoint_problems,
    evaluation_problems,
    finetune_problems,
    training_problems,
)
from gemeingut.release.verify_openness import openness_problems


def recomputed_problems(
    bundle: Path, listed: dict[str, str], rating: dict[str, Any] | None
) -> list[Message]:
    """Every problem of the checks above; `listed`: the MANIFEST's digests, already checked."""
    checks: list[Callable[[], list[Message]]] = [
        lambda: gguf_problems(bundle, listed),
        lambda: training_problems(bundle),
        lambda: finetune_problems(bundle),
        lambda: evaluation_problems(bundle),
        lambda: checkpoint_problems(bundle, listed),
    ]
    if rating is not None:
        checks.append(lambda: openness_problems(bundle, rating))
    problems: list[Message] = []
    for check in checks:
        try:
            problems.extend(check())
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OSError) as exc:
            problems.append(
                _(
                    "a record of the bundle cannot be read back: {error}",
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
    return problems
