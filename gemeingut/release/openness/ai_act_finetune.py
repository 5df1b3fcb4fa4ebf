"""The EU AI Act documents of a fine-tune of a foreign base: `AI_ACT_SUMMARY.md`, the public
summary of training content in the sections of the Commission's template, and
`model_documentation.json`, the Model Documentation Form's fields, for the modification only.

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
from gemeingut.release.manifest import hash_files
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
        _shipped(evidence),
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


def _shipped(evidence: Evidence) -> str:
    """Read off the bundle: whether the fine-tuning data lies in it."""
    folder = f"{TRAINING_DATA}/finetuning"
    files = [rel for rel in evidence.present if rel.startswith(f"{folder}/")]
    if not files:
        return f"Whether private data was used is {NOT_EVIDENCED}: {folder}/ is empty."
    return f"None: the fine-tuning data is in this bundle ({folder}/, {len(files)} entries)."


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


def finetune_documentation(
    bundle: Path, evidence: Evidence, rating: dict[str, Any]
) -> dict[str, Any]:
    """The Model Documentation Form's fields that a fine-tune's files evidence; the base model
    is named as the dependency its own provider documents."""
    meta = bundle / TRAINING_METADATA
    record = json.loads((meta / "finetune.json").read_text("utf-8"))
    stats, base, release = record.get("stats") or {}, record["base_model"], evidence.release
    config_path = bundle / "model" / "config.json"
    if not config_path.is_file():  # an adapter: the base's architecture
        config_path = bundle / "base-model" / "config.json"
    config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
    weights = sorted(
        p.relative_to(bundle).as_posix()
        for p in (bundle / "model").iterdir()
        if p.is_file() and p.suffix in (".safetensors", ".gguf")
    )
    parameters = stats.get("parameters")
    tokens = stats.get("tokens_seen")
    return {
        "form": "GPAI Code of Practice, Model Documentation Form (fields evidenced by gemeingut)",
        "general_information": {
            "legal_name_of_provider": ", ".join(release.get("authors") or []) or NOT_EVIDENCED,
            "model_name": release["name"],
            "model_authenticity": {
                "sha256": hash_files(bundle, weights),
                "signature": "bundle.sig (OpenSSF model-signing) when the bundle is signed",
            },
            "release_date": NOT_EVIDENCED,
            "union_market_release_date": NOT_EVIDENCED,
            "model_dependencies": f"fine-tuned from `{base.get('path')}` (licence "
            f"`{base.get('license') or 'not named'}`, fingerprint `{base.get('fingerprint')}`), "
            "documented by its own provider",
        },
        "model_properties": {
            "architecture": ", ".join(config.get("architectures") or []),
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "maximum_input_size_tokens": config.get("max_position_embeddings"),
            "total_parameters": evidence.parameters,
            "trained_parameters": stats.get("trainable_parameters"),
        },
        "distribution_and_licences": {
            "licence": rating["licenses"]["weights"],
            "documents_licence": rating["licenses"]["documents"],
            "code_licence": rating["licenses"]["code"],
            "base_model_licence": base.get("license"),
            "openness": {"mof": rating["mof"]["label"], "osaid": rating["osaid"]["summary"]},
        },
        "use": {"acceptable_use_policy": NOT_EVIDENCED, "intended_uses": NOT_EVIDENCED},
        "training_process": {
            "method": f"{record.get('method')} ({record.get('output')})",
            "steps": record["training"]["steps"],
            "optimizer": record.get("optimizer"),
            "description": "see training-metadata/finetune.json",
        },
        "training_data": {
            "type": "text",
            "provenance": "the fine-tuning data in training-data/finetuning/; see "
            "AI_ACT_SUMMARY.md section 2",
            "examples": record["data"]["train"]["examples"],
        },
        "computational_resources": {
            "training_time_seconds": stats.get("wall_seconds_total"),
            "training_compute_flops": 6 * parameters * tokens if parameters and tokens else None,
            "compute_method": "6·N·D with N all parameters (for LoRA an upper bound)",
            "hardware": record.get("hardware"),
        },
        "energy_consumption": {"kwh": NOT_EVIDENCED, "method": NOT_EVIDENCED},
    }
