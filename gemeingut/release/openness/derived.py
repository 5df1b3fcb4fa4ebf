"""The documents a release derives from its files: each is rendered by one function of the
bundle, so `release` writes them and `verify` renders them again to compare. The card and NOTICE
are written before the rating is (the card states the rating); the others after it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gemeingut.release.card import render_card
from gemeingut.release.layout import CARD, NOTICE
from gemeingut.release.notice import release_notice
from gemeingut.release.openness.ai_act import (
    FORM_FILE,
    SUMMARY_FILE,
    model_documentation,
    training_summary,
)
from gemeingut.release.openness.cyclonedx import BOM_FILE, bom_text, cyclonedx_bom
from gemeingut.release.openness.evidence import TECHNICAL_REPORT, Evidence
from gemeingut.release.openness.fmti import FMTI_FILE, fmti_indicators
from gemeingut.release.openness.osai_index import OSAI_FILE, osai_index, osai_yaml
from gemeingut.release.openness.spdx import SPDX_FILE, spdx_text
from gemeingut.release.technical_report import render_technical_report
from gemeingut.workspace import write_text_atomic

Render = Callable[[], str | Iterable[str]]  # a document's text, whole or piece by piece


def card_and_notice(bundle: Path, rating: dict[str, Any]) -> dict[str, Render]:
    """README.md and NOTICE as the files give them (NOTICE piece by piece: it lists every
    attributed document of a corpus)."""
    return {
        CARD: lambda: render_card(bundle, rating),
        NOTICE: lambda: release_notice(bundle),
    }


def derived_documents(
    bundle: Path, evidence: Evidence, rating: dict[str, Any]
) -> dict[str, Callable[[], str]]:
    """File name → how to render it (lazily: `verify` names a failure per document)."""
    return {
        TECHNICAL_REPORT: lambda: render_technical_report(bundle),
        BOM_FILE: lambda: bom_text(cyclonedx_bom(bundle, evidence, rating)),
        SPDX_FILE: lambda: spdx_text(bundle, evidence, rating),
        SUMMARY_FILE: lambda: training_summary(bundle, evidence),
        FORM_FILE: lambda: document_json(model_documentation(bundle, evidence, rating)),
        OSAI_FILE: lambda: osai_yaml(osai_index(evidence, rating)),
        FMTI_FILE: lambda: document_json(fmti_indicators(evidence, rating)),
    }


def write_derived(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> None:
    for name, render in derived_documents(bundle, evidence, rating).items():
        write_text_atomic(bundle / name, render())


def document_json(value: Any) -> str:
    """A JSON document as every release writes it, so a rebuild's bytes are equal."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
