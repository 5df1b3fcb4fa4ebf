"""The memorisation sample drawn from each source of training documents apart.

A fine-tune of our own model learnt from its base's pretraining documents and from its own data;
the second is what it memorises most, and a sliver beside the first: one draw over both would
hardly ever take a fine-tuning example. So each source (`subject.Documents`) gets its own
seeded draw (`memorisation.sample_prompts` with the audit's settings, the same for every
source) and, where there are several, its own figures, keyed by `Documents.key` (a fine-tune of
a fine-tune has the data of each fine-tune before it as a source of its own); `verify` draws
again the same way. A single source is drawn exactly as one draw over its files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.audit.stats import wilson
from gemeingut.audit.subject import Documents


@dataclass(frozen=True)
class Drawn:
    """One source's part of the sample: how many of its documents were long enough, and the
    ids of the prompts drawn from it."""

    eligible: int
    ids: tuple[str, ...]


# One source's draw: its prompts and how many of its documents were long enough, given its
# files (`functools.partial(memorisation.sample_prompts, …)` with everything but the files).
Sample = Callable[[tuple[Path, ...]], tuple[list[dict[str, Any]], int]]


def draw_by_source(
    sources: Sequence[Documents], sample: Sample
) -> tuple[list[dict[str, Any]], dict[str, Drawn]]:
    """The prompts of every source, one source after another, and each source's part. A
    document drawn from an earlier source already (the same id: a fine-tune on documents it
    was pretrained on) is checked once, under that source."""
    prompts: list[dict[str, Any]] = []
    drawn: dict[str, Drawn] = {}
    for source in sources:
        mine, eligible = sample(source.files)
        taken = {p["id"] for p in prompts}
        mine = [p for p in mine if p["id"] not in taken]
        drawn[source.key] = Drawn(eligible, tuple(p["id"] for p in mine))
        prompts += mine
    return prompts, drawn


def eligible_documents(drawn: dict[str, Drawn]) -> int:
    return sum(part.eligible for part in drawn.values())


def by_source(records: list[dict[str, Any]], drawn: dict[str, Drawn]) -> dict[str, Any]:
    """Per source of a sample drawn from several: its eligible documents, samples and rates
    (empty for one source, whose figures are the sample's). A source none of the sample came
    from was not checked: its rates are None with the reason (`not_checked`: none of its
    documents long enough, or each drawn under an earlier source), never a measured 0 %."""
    if len(drawn) < 2:
        return {}
    logged = {r["id"]: r for r in records}
    figures: dict[str, Any] = {}
    for kind, part in drawn.items():
        mine = [logged[i] for i in part.ids if i in logged]
        if not mine:
            figures[kind] = {
                "eligible_documents": part.eligible,
                "samples": 0,
                "exact": None,
                "near_verbatim": None,
                "not_checked": "drawn_before" if part.eligible else "no_long_sample",
            }
            continue
        figures[kind] = {
            "eligible_documents": part.eligible,
            "samples": len(mine),
            "exact": wilson(sum(r["exact"] for r in mine), len(mine)).to_json(),
            "near_verbatim": wilson(sum(r["near_verbatim"] for r in mine), len(mine)).to_json(),
        }
    return figures
