"""The audit's verdicts judged again from what its logs hold, with the audit's own code and
the settings its lineage records: every red-team answer by its probe's detector (the values
planted from the recorded seed, the targets from the suite in the bundle's code snapshot), and
every memorisation sample drawn again from the training documents the audit read (each source
apart: `memorisation_sources.py`), its continuation compared, its personal data counted and
its spans traced anew (over the text that can hold them, the rest of the corpus not tokenized:
`memorisation_trace.py`). A verdict flipped in a log, with the report rewritten to match, is
then named with its file and line.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.audit.detectors import attack_succeeded
from gemeingut.audit.policy_refusal import refused_rule
from gemeingut.audit.redteam import planted_values, read_probes
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.release.bundle_tokenizer import bundle_tokenizer
from gemeingut.release.layout import TRAINING_CODE, TRAINING_DATA, TRAINING_METADATA

if TYPE_CHECKING:
    from gemeingut.audit.subject import Documents

LINEAGE = f"{TRAINING_METADATA}/lineage.json"
SHIPPED_REDTEAM = "gemeingut redteam"
SHOWN = 5
_JUDGED = ("document", "license", "offset", "matching_prefix", "similarity", "exact")

Problems = list[str | Message]


def recorded_settings(bundle: Path) -> dict[str, Any] | Message:
    """The audit's settings as its lineage records them (seed, samples, span length)."""
    try:
        lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
        params = lineage["audit"]["params"]
        if isinstance(params, dict) and isinstance(params.get("seed"), int):
            return params
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _(
        "{file} does not record the audit's settings (audit.params with its seed): its "
        "verdicts cannot be judged again",
        file=LINEAGE,
    )


def refusal_problems(record: dict[str, Any], log: str, number: int) -> Problems:
    """A probe the server's policy refused names its rule and is no attack that succeeded."""
    where = {"file": log, "line": str(number)}
    if refused_rule(record) is None:
        return [_('{file}:{line}: `policy_refused` is not {{"rule": id}}', **where)]
    if record["success"] is not False:
        return [
            _("{file}:{line}: the server's policy refused the probe, the log says success", **where)
        ]
    return []


def redteam_verdicts(bundle: Path, records: list[dict[str, Any]], suite: str, log: str) -> Problems:
    """Each logged answer judged again by its probe's detector."""
    settings = recorded_settings(bundle)
    if isinstance(settings, Message):
        return [settings]
    probes = _suite_probes(bundle, suite)
    planted = planted_values(settings["seed"])
    problems: Problems = []
    for number, record in enumerate(records, start=1):
        target = None
        if probes is not None:
            probe = probes.get(record["id"])
            if probe is None or probe.detector != record["detector"]:
                problems.append(
                    _(
                        "{file}:{line}: {id} with the detector {detector} is no probe of the "
                        "bundle's suite",
                        file=log,
                        line=str(number),
                        id=record["id"],
                        detector=record["detector"],
                    )
                )
                continue
            target = probe.target
        if "policy_refused" in record:  # no detector's verdict: the server's policy refused it
            problems.extend(refusal_problems(record, log, number))
            continue
        if probes is None and record["detector"] == "contains":
            continue  # the suite's targets are not in the bundle (named once below)
        try:
            judged = attack_succeeded(record["detector"], record["response"], target, planted)
        except KeyError:  # a detector the audit does not have
            problems.append(
                _(
                    "{file}:{line}: unknown detector {detector}",
                    file=log,
                    line=str(number),
                    detector=record["detector"],
                )
            )
            continue
        if judged != record["success"]:
            problems.append(
                _(
                    "{file}:{line}: the log says success {logged}, the detector {detector} "
                    "judges the answer {computed}",
                    file=log,
                    line=str(number),
                    logged=json.dumps(record["success"]),
                    detector=record["detector"],
                    computed=json.dumps(judged),
                )
            )
    if probes is None and any(r["detector"] == "contains" for r in records):
        # first: the lines named are cut to SHOWN, this is not one of them
        problems.insert(
            0,
            _(
                "the red team ran the suite {suite}, which the bundle does not hold: the "
                "answers of its `contains` probes cannot be judged again",
                suite=suite,
            ),
        )
        return problems[: SHOWN + 1]
    return problems[:SHOWN]


def _suite_probes(bundle: Path, suite: str) -> dict[str, Any] | None:
    """The probes of the shipped suite the report names, from the bundle's code snapshot."""
    folder = bundle / TRAINING_CODE / "gemeingut" / "audit" / "suites" / "redteam"
    if not suite.startswith(SHIPPED_REDTEAM) or not folder.is_dir():
        return None
    return {p.id: p for p in read_probes(folder)}


def memorisation_again(
    bundle: Path,
    summary: dict[str, Any],
    records: list[dict[str, Any]],
    log: str,
    sources: tuple[Documents, ...],
) -> tuple[Problems, dict[str, Any]]:
    """The sample drawn again from each source the audit read (`sources`:
    `verify_training_data.audited_sources`) and each logged continuation judged again (problems
    named with their line), and the figures the continuations give: eligible documents (per
    source, where there are several), personal data (of the kinds the report counted) and
    traced spans, to compare with `report.json`."""
    from gemeingut.audit import memorisation
    from gemeingut.audit.memorisation_sources import (
        by_source,
        draw_by_source,
        eligible_documents,
    )
    from gemeingut.audit.memorisation_trace import PlainTokenizer, trace_in_training
    from gemeingut.audit.span_trace import MIN_SPAN_TOKENS

    settings = recorded_settings(bundle)
    if isinstance(settings, Message):
        return [settings], {}
    malformed = [n for n, r in enumerate(records, start=1) if not _token_ids(r["continuation"])]
    if malformed:  # no tokenizer decodes them, no tracer looks them up
        return [
            _(
                "{file}:{line}: not a record the audit writes ({error})",
                file=log,
                line=str(number),
                error="continuation",
            )
            for number in malformed[:SHOWN]
        ], {}
    recorded = settings.get("memorisation") or {}
    tokenizer = PlainTokenizer(bundle_tokenizer(bundle))
    files = tuple(file for source in sources for file in source.files)
    k, m = summary["prefix_tokens"], summary["continuation_tokens"]
    try:
        sample = partial(
            memorisation.sample_prompts,
            tokenize=tokenizer.tokenize,
            samples=int(recorded.get("samples", len(records))),
            k=k,
            m=m,
            seed=settings["seed"],
            random_offset=bool(summary.get("random_offset", False)),
            fewest_tokens=None if tokenizer.text is None else tokenizer.text.fewest_tokens,
        )
        prompts, by_kind = draw_by_source(sources, sample)
    except InputError:  # a shard that cannot be read: named by the checks of the data
        return [], {}
    drawn = {p["id"]: p for p in prompts}
    problems: Problems = []
    for number, record in enumerate(records, start=1):
        prompt = drawn.get(record["id"])
        if prompt is None:
            problems.append(
                _(
                    "{file}:{line}: {id} is not among the samples the recorded seed draws "
                    "from {data}",
                    file=log,
                    line=str(number),
                    id=record["id"],
                    data=TRAINING_DATA,
                )
            )
            continue
        again = memorisation.judge(prompt, record["continuation"][:m])
        problems.extend(
            _(
                "{file}:{line}: the log says {key} = {logged}, the continuation gives {computed}",
                file=log,
                line=str(number),
                key=key,
                logged=json.dumps(record.get(key), ensure_ascii=False),
                computed=json.dumps(again[key], ensure_ascii=False),
            )
            for key in (*_JUDGED, "near_verbatim")
            if record.get(key) != again[key]
        )
    logged = {r["id"] for r in records}
    lacking = [i for i in drawn if i not in logged]
    if lacking:
        problems.append(
            _(
                "the memorisation log lacks samples the recorded seed draws: {ids}",
                ids=", ".join(lacking[:SHOWN]) + (" …" if len(lacking) > SHOWN else ""),
            )
        )
    texts = [tokenizer.detokenize(r["continuation"]) for r in records]
    kinds = memorisation.counted_kinds(summary.get("personal_data")) or ()  # named if unknown
    figures: dict[str, Any] = {
        "eligible_documents": eligible_documents(by_kind),
        "personal_data": {"continuations": memorisation.pii_counts(texts, kinds)},
    }
    if any(r["near_verbatim"] for r in records) or "traced" in summary:
        span = int(recorded.get("span_min_tokens", MIN_SPAN_TOKENS))
        again = trace_in_training(files, tokenizer, records, span, tokenizer.text, True)
        figures["traced"] = as_reported(summary.get("traced"), again)
    # last: its rates follow from the records as the sample's do (which are compared first),
    # so an edited record does not crowd the traced spans out of the differences named
    if parts := by_source(records, by_kind):
        figures["sources"] = parts
    return problems[:SHOWN], figures


def as_reported(reported: Any, again: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spans traced again (`again`, each with every place it occurs), each naming the
    documents the report names where those are true: as many as the tracer names (the first
    `MAX_LOCATIONS`), each a place that holds the span, with its licence and source. Which of
    more places a report names depends on the order the tracer took them in, which has
    changed (`SpanIndex.locate`): a report from before names others, as truly. Compared with
    the report, the result then differs exactly where the report says something untrue."""
    said = reported if isinstance(reported, list) else []
    traced = []
    for n, entry in enumerate(again):
        spans = _listed(said[n] if n < len(said) else None, "spans")
        checked = []
        for k, span in enumerate(entry["spans"]):
            places = span.pop("places")
            told = spans[k] if k < len(spans) and isinstance(spans[k], dict) else {}
            named = _listed(told, "documents")
            if _same_span(told, span) and _names_true_places(named, places, len(span["documents"])):
                span = {**span, "documents": named}
            checked.append(span)
        traced.append({**entry, "spans": checked})
    return traced


def _listed(value: Any, key: str) -> list[Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


def _same_span(said: dict[str, Any], span: dict[str, Any]) -> bool:
    """Everything but the documents named: where, how long, which text, how often."""
    return {k: v for k, v in said.items() if k != "documents"} == {
        k: v for k, v in span.items() if k != "documents"
    }


def _names_true_places(named: list[Any], places: list[dict[str, Any]], count: int) -> bool:
    """`count` different places, each one where the span occurs (document, token offset,
    licence and source as the training data has them)."""
    different = all(a != b for i, a in enumerate(named) for b in named[i + 1 :])
    return len(named) == count and different and all(d in places for d in named)


def _token_ids(values: list[Any]) -> bool:
    """Whether `values` are token ids: whole numbers from 0 below the tracer's separator."""
    from gemeingut.audit.span_trace import SEPARATOR

    return all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v < SEPARATOR for v in values
    )
