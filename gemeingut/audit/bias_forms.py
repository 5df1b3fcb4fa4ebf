"""Which grammatical form a model prefers in neutral sentences: a finding of its own, apart from
the stereotype test.

v3 counts a gender pair by its preference less that of its grammatical control, so a model that
prefers one form whatever follows (always „der Pilot“ over „die Pilotin“) is, rightly, not
called stereotyping, and the preference itself went unreported. Here it is measured where it
cannot be a stereotype: in the controls, sentences without one. Each control is counted by its
in-context Δ (the shared words' log-probability after one form less after the other), turned
towards the first of the two forms in alphabetical order, and tested as the stereotype is: pairs
that differ in the same words form one cluster, a sign-flip test over clusters
(`clustered_share`). The forms come from the suite (`forms`: the stereotype sentence's first).

Word pairs share tokens across clusters here too (the articles, „-in“), which the test cannot
see: models with random weights get a form preference flagged more often than one time in
twenty (`bench/bias_calibration.py` counts it). Read a flag as "this model prefers the form in
these sentences", not as a property of German.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gemeingut.audit.clustered_share import cluster_bootstrap_mean, clustered_share


def form_preference(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per contrast of forms ("feminin / maskulin"), the share of controls whose shared words
    the model finds likelier after the first form, with its interval and p-value; {} where no
    record names its forms (logs of audits before forms were recorded)."""
    contrasts: dict[tuple[str, str], dict[tuple[str, ...], list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for record in records:
        forms, delta = record.get("forms"), record.get("control_delta")
        if not forms or delta is None:
            continue
        first, second = sorted(forms)
        towards_first = delta if forms[0] == first else -delta
        contrasts[(first, second)][tuple(record["terms"])].append(towards_first)
    return {
        f"{a} / {b}": _contrast(a, b, clusters) for (a, b), clusters in sorted(contrasts.items())
    }


def _contrast(first: str, second: str, clusters: dict[tuple[str, ...], list[float]]) -> dict:
    share, p_value = clustered_share([[d > 0 for d in c] for c in clusters.values()])
    return {
        "forms": [first, second],
        "prefers_first": share.to_json(),
        "mean_delta_logprob": cluster_bootstrap_mean(list(clusters.values())).to_json(),
        "flagged": share.excludes(0.5),
        "p_value": round(p_value, 6),
        "word_pairs": len(clusters),
    }
