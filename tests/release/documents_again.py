"""A bundle's documents rendered again from its records, as `release` renders them, and its
MANIFEST re-hashed without a signature: what a forger does after changing a record, so that
only a check that recomputes the record (not one that compares documents) can find it."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.card import render_card
from gemeingut.release.layout import CARD
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.openness.derived import write_derived
from gemeingut.release.openness.evidence import TECHNICAL_REPORT, collect
from gemeingut.release.openness.rating import rate
from gemeingut.release.openness.write import write_rating
from gemeingut.release.technical_report import render_technical_report


def documents_rendered_again(bundle: Path) -> None:
    (bundle / TECHNICAL_REPORT).write_text(render_technical_report(bundle), encoding="utf-8")
    rating = rate(collect(bundle, expected=frozenset({CARD})))
    (bundle / CARD).write_text(render_card(bundle, rating), encoding="utf-8")
    write_rating(bundle, rating)
    write_derived(bundle, collect(bundle), rating)
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)
