"""The card of a fine-tune of a foreign base (README.md), from the bundle's files and the rating
alone: `release` renders it and `verify` renders it again and compares, as for the card of our
own pretraining (`card.py`)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from gemeingut.i18n import _, plural, text, translator
from gemeingut.model.finetune_said import as_sentence, unvalidated_said, validation_source
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.release.card import card_header, finetune_context, read_json, rendered_card
from gemeingut.release.card_audit import audit_results
from gemeingut.release.card_phrases import (
    base_phrase,
    bundle_language,
    context_phrase,
    licence_phrase,
    losses_phrase,
    parameters_phrase,
    provider_phrase,
)
from gemeingut.release.finetune_phrases import chain_phrase, cut_sentence, trained_on
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import (
    AUDIT_REPORT,
    FINETUNE_RECORD,
    MODEL,
    RELEASE_INFO,
    TRAINING_METADATA,
)
from gemeingut.release.openness.finetune_rating import BASE_DIR, base_paragraph, shown_base
from gemeingut.release.openness.model_size import ModelSize, model_size
from gemeingut.release.openness.summary import openness_sentence

TEMPLATE = (files("gemeingut.release") / "finetune_card.md.j2").read_text(encoding="utf-8")
HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")  # `org/name`, as a base from the Hub's cache is named
LICENCE_SOURCES = {
    "card": _("from its card"),
    "LICENSE file": _("from its LICENSE file"),
    "stated": _("as stated for the fine-tuning"),
    "gemeingut artifact": _("from its gemeingut artifact"),
}


def render_finetune_card(bundle: Path, rating: dict[str, Any]) -> str:
    """The card in the release's `document_language` (nothing typed in)."""
    release = read_json(bundle / RELEASE_INFO)
    language = bundle_language(release)
    lineage = read_json(bundle / TRAINING_METADATA / "lineage.json")
    tuned = lineage["finetune"]
    record = read_json(bundle / FINETUNE_RECORD)
    base = record["base_model"]
    adapter = (bundle / MODEL / ADAPTER_CONFIG).is_file()
    config_file = bundle / (BASE_DIR if adapter else MODEL) / "config.json"
    config = read_json(config_file) if config_file.is_file() else {}
    # The header's `base_model` is a Hub id to the Hub: a local folder's name is only said in
    # the text (the Hub would link it to whatever model has that name).
    hub_id = {"base_model": base["path"]} if HUB_ID.fullmatch(base["path"]) else {}
    audit = read_json(bundle / AUDIT_REPORT) if "audit" in lineage else None
    results = audit_results(audit)  # the audit's numbers, as our pretraining's card has them
    card_data = card_header(
        release,
        rating,
        "fine-tuned",
        "peft" if adapter else "transformers",
        **hub_id,
        **({"eval_results": results} if results else {}),
    )
    context = {
        "_": translator(language),
        "model_name": release["name"],
        "description": release.get("description") or text(_("_No description given._"), language),
        "openness": openness_sentence(rating, language),
        "model_id": tuned["id"],
        "data_id": tuned["inputs"]["data"],
        "code": tuned["code"],
        "architecture": (config.get("architectures") or [text(_("unknown"), language)])[0],
        "fine_tuned_from": base_phrase(base["path"], language, base.get(REVISION)),
        "parameters": size_phrase(model_size(bundle), language),
        "context": context_phrase(config.get("max_position_embeddings"), language),
        "model_license": licence_phrase(release["licenses"]["weights"], language),
        "documents_license": release["licenses"]["documents"],
        "provider": provider_phrase(release, language),
        "base": {
            "reference": base["path"],
            "fingerprint": base["fingerprint"],
            "license": base.get("license") or text(_("not named"), language),
            "license_source": text(
                LICENCE_SOURCES.get(base.get("license_source"), _("not found")), language
            ),
        },
        "base_paragraph": base_paragraph(bundle, language),
        "hub_id": release.get("base_hub_id"),  # stated at release, not checked
        "finetune": finetune_context(tuned, record, language),
        "trained_on": trained_on(record["data"]["train"], tuned.get("stats", {})),
        "cut": cut_sentence(record, language),
        "losses": _validation_sentence(record, tuned.get("stats", {}), language),
        "audited": "audit" in lineage,
        "adapter": adapter,
        "chain": chain_phrase(lineage, shown_base(base), language),
    }
    return rendered_card(TEMPLATE, card_data, language, context)


def size_phrase(size: ModelSize, language: str) -> str:
    """The card's parameter count, which `verify` looks for: the model's, and for a LoRA
    adapter how base and adapter add up to it."""
    total = count_phrase(size.total, language)
    if not size.adapter:
        return total
    said = _(
        "{total} (base model: {base}, as counted at fine-tuning: its weights are not in this "
        "bundle; adapter: {adapter})",
        total=total,
        base=count_phrase(size.base, language),
        adapter=count_phrase(size.in_bundle, language),
    )
    return text(said, language)


def count_phrase(count: int | None, language: str) -> str:
    """A parameter count, or that the records hold none (a hand-edited or older record)."""
    if count is None:
        return text(_("number of parameters not recorded"), language)
    return parameters_phrase(count, language)


def _validation_sentence(record: dict[str, Any], stats: dict[str, Any], language: str) -> str:
    """The validation loss on what was held out; without one, why, as the fine-tuning said it
    (`finetune_said.py`: held out but cut before its answer is not "nothing held out")."""
    validation = record["data"]["validation"]
    first, last = stats.get("initial_val_loss"), stats.get("final_val_loss")
    if not validation or first is None or last is None:
        return as_sentence(text(unvalidated_said(record)[0], language))
    held = int(validation["examples"])
    examples = plural(
        held,
        _("on {count} held-out example", count=held),
        _("on {count} held-out examples", count=held),
    )
    sentence = _(
        "Validation loss {examples} ({source}): {losses}.",
        examples=examples,
        source=validation_source(record["data"].get("validation_from", "")),
        losses=losses_phrase(first, last, language),
    )
    return text(sentence, language)
