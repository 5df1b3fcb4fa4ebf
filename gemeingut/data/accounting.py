"""What a curate run reports: `in == kept + excluded`, and the volume of what was kept.

Counts are kept as running totals from each document's record (sizes, licence, source,
language), so no text needs to stay in memory for them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gemeingut.data.documents import Record
from gemeingut.data.splits import SPLITS

MISSING = "(missing)"
# Estimated tokens: UTF-8 bytes / 4, the usual rule of thumb for BPE on European languages; the
# tokenizer stage reports the measured bytes per token of the trained tokenizer.
BYTES_PER_TOKEN_ESTIMATE = 4


class KeptCounts:
    """Running totals of what was kept, per split and per licence, source and language."""

    def __init__(self) -> None:
        self.documents = 0
        self.by_license: Counter[str] = Counter()
        self.by_source: Counter[str] = Counter()
        self.by_language: Counter[str] = Counter()
        self.splits = {split: _volume() for split in SPLITS}
        self.volume: dict[str, dict[str, dict[str, int]]] = {
            "by_license": {},
            "by_source": {},
            "by_language": {},
        }

    def add(self, record: Record, split: str) -> None:
        keys = {
            "by_license": record.license or MISSING,
            "by_source": record.source,
            "by_language": record.language or "(not identified)",
        }
        self.documents += 1
        self.by_license[keys["by_license"]] += 1
        self.by_source[keys["by_source"]] += 1
        self.by_language[keys["by_language"]] += 1
        for totals in [self.splits[split]] + [
            self.volume[group].setdefault(key, _volume()) for group, key in keys.items()
        ]:
            totals["documents"] += 1
            totals["characters"] += record.n_chars
            totals["bytes"] += record.n_bytes
            totals["estimated_tokens"] = totals["bytes"] // BYTES_PER_TOKEN_ESTIMATE


def _volume() -> dict[str, int]:
    return {"documents": 0, "characters": 0, "bytes": 0, "estimated_tokens": 0}


def run_stats(
    documents_in: int, excluded: list[dict], kept: KeptCounts, blocks: dict[str, Any]
) -> dict[str, Any]:
    """The statistics of a run; an unbalanced account is a bug, never a result."""
    if documents_in != kept.documents + len(excluded):
        raise RuntimeError(
            f"accounting bug: {documents_in} in != {kept.documents} kept + {len(excluded)} excluded"
        )
    return {
        "documents_in": documents_in,
        "kept": kept.documents,
        "excluded": len(excluded),
        "excluded_by_reason": dict(Counter(e["reason"] for e in excluded).most_common()),
        "excluded_by_license": dict(
            Counter(e["license"] or MISSING for e in excluded).most_common()
        ),
        "excluded_by_source": dict(Counter(e["source"] for e in excluded).most_common()),
        "kept_by_license": dict(kept.by_license.most_common()),
        "kept_by_source": dict(kept.by_source.most_common()),
        "kept_by_language": dict(kept.by_language.most_common()),
        "splits": kept.splits,
        "kept_volume": kept.volume,
        "excluded_characters_by_reason": _characters_by_reason(excluded),
        "blocks": blocks,
    }


def _characters_by_reason(excluded: list[dict]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for exclusion in excluded:
        totals[exclusion["reason"]] += exclusion["characters"] or 0
    return dict(totals.most_common())
