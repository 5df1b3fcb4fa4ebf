"""`AI_ACT_SUMMARY.md` for a fine-tune of a foreign base: the public summary of training content
in the sections of the Commission's template, for the modification only.

Whoever modifies a general-purpose model documents the modification; the base model's training
content is its own provider's to describe, and this summary names that model and its licence
instead of describing it. Everything else comes from the bundle's files (the fine-tuning
record, the data and the licences read from it); what they cannot evidence says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.release.layout import TRAINING_DATA, TRAINING_METADATA
from gemeingut.release.openness.ai_act import NOT_EVIDENCED
from gemeingut.release.openness.evidence import Evidence


def finetune_summary(bundle: Path, evidence: Evidence) -> str:
    record = json.loads((bundle / TRAINING_METADATA / "finetune.json").read_text("utf-8"))
    lineage = json.loads((bundle / TRAINING_METADATA / "lineage.json").read_text("utf-8"))
    params = (lineage.get("finetune") or {}).get("params") or {}
    release, base, data = evidence.release, record["base_model"], record["data"]
    train = data["train"]
    missing = f"_{NOT_EVIDENCED}_"
    licences = evidence.training_data.documents
    lines = [
        f"# Public summary of training content: {release['name']}",
        "",
        "Written by gemeingut from this bundle's files in the sections of the European "
        "Commission's template for the summary required by Art. 53(1)(d) of the AI Act, for "
        "the modification (the fine-tuning) only: the base model's training content is "
        f"described by its provider. Fields marked {missing} must be completed by the provider.",
        "",
        "## 1. General information",
        "",
        "### 1.1 Provider identification",
        "",
        f"- Provider: {', '.join(release.get('authors') or []) or missing}",
        f"- Contact: {missing}",
        "",
        "### 1.2 Model identification",
        "",
        f"- Model name: {release['name']}",
        f"- Model dependencies: fine-tuned from `{base.get('path')}` (licence "
        f"`{base.get('license') or 'not named'}`, fingerprint `{base.get('fingerprint')}`); its "
        "card, config and licence are in `base-model/`",
        f"- Date of placement on the Union market: {missing}",
        "",
        "### 1.3 Modalities, overall training data size and other characteristics",
        "",
        "- Modality: text",
        f"- Training data size (text) of the modification: {train['examples']} examples, "
        f"{train['trained_tokens']:,} trained tokens ({train['chat_examples']} chats, "
        f"{train['instruction_examples']} prompt/completion pairs, {train['text_examples']} "
        "texts)",
        f"- Latest date of data acquisition: {missing}",
        f"- Languages: {', '.join(release.get('languages') or []) or missing} (declared)",
        "",
        "## 2. List of data sources",
        "",
        "### 2.1 Publicly available datasets",
        "",
        f"The fine-tuning data is published with this model in `{TRAINING_DATA}/finetuning/`.",
        "",
        "| licence | documents or files |",
        "|---|---|",
        *(f"| `{lic}` | {count} |" for lic, count in sorted(licences.items())),
        *([] if licences else [f"| {missing} | {len(evidence.training_data.files) or '-'} |"]),
        "",
        f"- Where it comes from: {params.get('data_url') or missing}",
        "",
        "### 2.2 Private non-publicly available datasets obtained from third parties",
        "",
        "None: all fine-tuning data is in this bundle.",
        "",
        "### 2.3 Data crawled and scraped from online sources",
        "",
        f"How the fine-tuning data was collected is {NOT_EVIDENCED}.",
        "",
        "### 2.4 User data",
        "",
        f"Whether the fine-tuning data holds data of users of a service is {NOT_EVIDENCED}.",
        "",
        "### 2.5 Synthetic data",
        "",
        f"Whether the fine-tuning data holds synthetic text is {NOT_EVIDENCED}.",
        "",
        "## 3. Data processing aspects",
        "",
        "### 3.1 Respect of reservation of rights from the text and data mining exception",
        "",
        _reuse(licences),
        "",
        "### 3.2 Removal of illegal content",
        "",
        f"Filtering of the fine-tuning data is {NOT_EVIDENCED}.",
        "",
    ]
    return "\n".join(lines)


def _reuse(licences: dict[str, Any]) -> str:
    if not licences:
        return f"The fine-tuning data's licence is {NOT_EVIDENCED}."
    refused = sorted(lic for lic in licences if not decide(lic).admitted)
    if refused:
        return "Some fine-tuning data is not under an open licence: " + ", ".join(refused) + "."
    return (
        "The fine-tuning data is used under the open licences above, which permit reuse, not "
        "under the text and data mining exception."
    )
