"""The memorisation figures of `report.json`, from the log's records alone.

Apart from `memorisation` (which loads the span tracer and the PII filters), so that `verify`
recomputes the figures with the very function the audit wrote them with, and stays light.
"""

from __future__ import annotations

from typing import Any

from gemeingut.audit.stats import wilson

NEAR_VERBATIM = 0.9  # token-level similarity from which a continuation counts as memorised
MEMORISED_FIELDS = ("document", "license", "offset", "similarity", "exact")


def summarize_memorisation(
    records: list[dict[str, Any]], k: int, m: int, eligible: int, random_offset: bool = False
) -> dict[str, Any]:
    exact = sum(r["exact"] for r in records)
    near = sum(r["near_verbatim"] for r in records)
    return {
        "prefix_tokens": k,
        "continuation_tokens": m,
        "random_offset": random_offset,
        "near_verbatim_similarity": NEAR_VERBATIM,
        "eligible_documents": eligible,
        "samples": len(records),
        "exact": wilson(exact, len(records)).to_json(),
        "near_verbatim": wilson(near, len(records)).to_json(),
        "memorised": [
            {key: r[key] for key in MEMORISED_FIELDS} for r in records if r["near_verbatim"]
        ],
    }
