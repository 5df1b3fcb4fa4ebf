"""The claims of a fine-tune bundle's documents, compared with what its files show: the rating
(`openness.json`, `mof.yml`), the card's licence, tags, openness paragraph, parameter count,
languages, base model and validation losses, and the base model's evidence itself; the card,
NOTICE and every derived document are rendered again from the files and compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.card_phrases import base_phrase, context_phrase
from gemeingut.release.finetune_card import HUB_ID, render_finetune_card, size_phrase
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import CARD, FINETUNE_RECORD, MODEL, NOTICE
from gemeingut.release.notice import finetune_notice
from gemeingut.release.openness.ai_act import FORM_FILE, SUMMARY_FILE
from gemeingut.release.openness.ai_act_finetune import finetune_documentation, finetune_summary
from gemeingut.release.openness.claims import (
    document_language,
    document_problems,
    rated_card_problems,
    rating_problems,
    read_card,
)
from gemeingut.release.openness.cyclonedx import BOM_FILE, bom_text, cyclonedx_bom
from gemeingut.release.openness.derived import Render, document_json
from gemeingut.release.openness.evidence import TECHNICAL_REPORT, Evidence
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    base_paragraph,
    base_problems,
    base_record,
)
from gemeingut.release.openness.fmti import FMTI_FILE, fmti_indicators
from gemeingut.release.openness.model_size import model_size
from gemeingut.release.openness.osai_index import OSAI_FILE, osai_index, osai_yaml
from gemeingut.release.openness.spdx import SPDX_FILE, spdx_text
from gemeingut.release.technical_report import render_finetune_report
from gemeingut.release.verify_base_revision import revision_problems
from gemeingut.release.verify_losses import loss_problems


def finetune_claim_problems(
    bundle: Path, evidence: Evidence, rating: dict[str, Any]
) -> list[str | Message]:
    # the base's evidence first: a changed copy of it is why the rating differs
    problems = [*base_problems(bundle), *rating_problems(bundle, rating)]
    problems += revision_problems(bundle)  # the base's revision, as reproduce reads it
    read = read_card(bundle)
    if isinstance(read, Message):
        return [*problems, read]
    card, header = read
    language = document_language(evidence)
    problems.extend(rated_card_problems(card, header, rating, language))
    declared = evidence.release.get("languages") or []
    if (header.get("language") or []) != declared:
        problems.append(
            _(
                "{file}: languages {card} but release.json {declared}",
                file=CARD,
                card=str(header.get("language")),
                declared=str(declared),
            )
        )
    base = base_record(bundle)
    reference = base.get("path")
    hub_id = reference if HUB_ID.fullmatch(str(reference)) else None  # a local folder: none
    named = base_phrase(reference, language, base.get(REVISION))
    if header.get("base_model") != hub_id or named not in card:
        problems.append(
            _(
                "{file}: names another base model than finetune.json ({reference})",
                file=CARD,
                reference=str(reference),
            )
        )
    if " ".join(base_paragraph(bundle, language).split()) not in " ".join(card.split()):
        problems.append(
            _(
                "{file}: the paragraph on the base model is not what {folder}/ gives",
                file=CARD,
                folder=BASE_DIR,
            )
        )
    problems.extend(_parameter_problems(bundle, card, language))
    problems.extend(
        document_problems(
            bundle,
            finetune_card_and_notice(bundle, rating) | finetune_documents(bundle, evidence, rating),
        )
    )
    problems.extend(_context_problems(bundle, card, language))
    problems.extend(loss_problems(bundle, card, language))
    return problems


def finetune_card_and_notice(bundle: Path, rating: dict[str, Any]) -> dict[str, Render]:
    """README.md and NOTICE as the files give them (written before the rating is)."""
    return {
        CARD: lambda: render_finetune_card(bundle, rating),
        NOTICE: lambda: finetune_notice(bundle),
    }


def finetune_documents(
    bundle: Path, evidence: Evidence, rating: dict[str, Any]
) -> dict[str, Callable[[], str]]:
    """The machine-readable documents a fine-tune bundle derives from its files."""
    return {
        BOM_FILE: lambda: bom_text(cyclonedx_bom(bundle, evidence, rating)),
        SPDX_FILE: lambda: spdx_text(bundle, evidence, rating),
        SUMMARY_FILE: lambda: finetune_summary(bundle, evidence),
        FORM_FILE: lambda: document_json(finetune_documentation(bundle, evidence, rating)),
        OSAI_FILE: lambda: osai_yaml(osai_index(evidence, rating)),
        FMTI_FILE: lambda: document_json(fmti_indicators(evidence, rating)),
        TECHNICAL_REPORT: lambda: render_finetune_report(bundle),
    }


def _parameter_problems(bundle: Path, card: str, language: str) -> list[Message]:
    """The card states the model's parameters as the weights give them; an adapter's total is
    its base's count, as the fine-tuning recorded it, plus the adapter's, which must be what
    the fine-tuning says it trained. SPDX, the ML-BOM and the Model Documentation Form are
    rendered from the same count and compared whole."""
    size = model_size(bundle)
    if size.in_bundle is None:
        return [_("model/: no safetensors weights to count the parameters of")]
    problems = []
    if size.adapter and size.in_bundle != size.trained:
        problems.append(
            _(
                "{folder}: the adapter holds {adapter} parameters, but {record} records "
                "{trained} trained",
                folder=MODEL,
                adapter=size.in_bundle,
                record=FINETUNE_RECORD,
                trained=size.trained or 0,
            )
        )
    if f"), {size_phrase(size, language)}, " not in card:
        problems.append(
            _(
                "{file}: does not state the {parameters} parameters the weights hold",
                file=CARD,
                parameters=size.total or 0,
            )
        )
    return problems


def _context_problems(bundle: Path, card: str, language: str) -> list[Message]:
    """The context length the card states is the model's (an adapter's: its base's)."""
    folder = MODEL if (bundle / MODEL / "config.json").is_file() else BASE_DIR
    config = bundle / folder / "config.json"
    if not config.is_file():
        return []
    positions = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
    if context_phrase(positions, language) not in " ".join(card.split()):
        return [
            _(
                "{file}: the context length is not {positions} tokens ({config})",
                file=CARD,
                positions=str(positions),
                config=f"{folder}/config.json",
            )
        ]
    return []
