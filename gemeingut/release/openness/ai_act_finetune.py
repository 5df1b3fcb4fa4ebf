"""The EU AI Act documents of a fine-tune of a foreign base: `AI_ACT_SUMMARY.md`, the public
summary of training content in the sections of the Commission's template, and
`model_documentation.json`, the Model Documentation Form's fields, for the modification only.

Whoever modifies a general-purpose model documents the modification; the base model's training
content is its own provider's to describe, and this summary names that model and its licence
instead of describing it. Everything else comes from the bundle's files (the fine-tuning
record, the data and the licences read from it); what they cannot evidence says so. Data that
`data curate` made carries its record (`curated-dataset/dataset.json`: sources, filters,
statistics): its sources, their origin and what its curation removed are said from it as the
summary of our own pretraining says them of its corpus; data given as files has no such record.
The form's energy is the fine-tuning's, as measured, and the base's as its card states it, or not
(`finetune_energy.py`). A chain (base → ft1 → … → the released one) is one modification made
by several runs: both documents state each link's data, and the form sums every link's compute
and energy from its own record in the bundle (`chain_runs.py`), as for a chain on our model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.i18n import Message, _, plural, text
from gemeingut.release.card_phrases import report_language
from gemeingut.release.layout import (
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_finetunes,
)
from gemeingut.release.manifest import hash_files
from gemeingut.release.markdown_table import row
from gemeingut.release.openness.ai_act import (
    NOT_EVIDENCED,
    NOT_SHOWN,
    Line,
    earlier_finetuning,
    identification,
    illegal_content,
    provider_fields,
    quality_filters,
    source_table,
    tuning_tokens,
)
from gemeingut.release.openness.chain_runs import (
    TUNING_SUM,
    chain_compute,
    chain_energy,
    earlier_record,
    earlier_runs,
    tuning_runs,
)
from gemeingut.release.openness.curated_data import (
    Curated,
    curated_caption,
    curated_datasets,
    uncurated_files,
)
from gemeingut.release.openness.evidence import DATA_STATEMENT, Evidence
from gemeingut.release.openness.finetune_energy import base_statement, tuning_consumption
from gemeingut.release.openness.finetune_rating import BASE_DIR, base_copies
from gemeingut.release.openness.model_size import ModelSize, model_size


def finetune_summary(bundle: Path, evidence: Evidence) -> str:
    record = json.loads((bundle / TRAINING_METADATA / "finetune.json").read_text("utf-8"))
    lineage = json.loads((bundle / TRAINING_METADATA / "lineage.json").read_text("utf-8"))
    params = (lineage.get("finetune") or {}).get("params") or {}
    release, base = evidence.release, record["base_model"]
    earlier = earlier_finetunes(lineage)
    language = report_language(release)
    missing = _("_{text}_", text=NOT_SHOWN)
    licences = evidence.training_data.documents
    curated = curated_datasets(evidence)
    lines: list[Line] = [
        _("# Public summary of training content: {name}", name=release["name"]),
        "",
        _(
            "Written by gemeingut from this bundle's files in the sections of the European "
            "Commission's template for the summary required by Art. 53(1)(d) of the AI Act, "
            "for the modification (the fine-tuning) only: the base model's training content is "
            "described by its provider. Fields marked {missing} must be completed by the "
            "provider.",
            missing=missing,
        ),
        "",
        *identification(release, _dependency(bundle, base, earlier), missing),
        "",
        _("### 1.3 Modalities, overall training data size and other characteristics"),
        "",
        _("- Modality: text"),
        *_data_sizes(bundle, record, earlier),
        _("- Latest date of data acquisition: {date}", date=missing),
        _(
            "- Languages: {languages} (declared)",
            languages=", ".join(release.get("languages") or []) or missing,
        ),
        "",
        _("## 2. List of data sources"),
        "",
        _("### 2.1 Publicly available datasets"),
        "",
        _(
            "The fine-tuning data is published with this model in `{folder}/finetuning/`.",
            folder=TRAINING_DATA,
        ),
        "",
        *earlier_finetuning(bundle, lineage),  # a chain's, each in its own folder
        _("| licence | documents or examples |"),
        "|---|---|",
        *(row((f"`{lic}`", count), language) for lic, count in sorted(licences.items())),
        *(
            []
            if licences
            else [
                _(
                    "| {missing} | {files} |",
                    missing=missing,
                    files=len(evidence.training_data.files) or "-",
                )
            ]
        ),
        *_origins(evidence, curated, params.get("data_url") or missing, language),
        "",
        _("### 2.2 Private non-publicly available datasets obtained from third parties"),
        "",
        _shipped(evidence, earlier),
        "",
        _("### 2.3 Data crawled and scraped from online sources"),
        "",
        _("How the fine-tuning data was collected is {missing}.", missing=NOT_SHOWN),
        "",
        _("### 2.4 User data"),
        "",
        _(
            "Whether the fine-tuning data holds data of users of a service is {missing}.",
            missing=NOT_SHOWN,
        ),
        "",
        _("### 2.5 Synthetic data"),
        "",
        _("Whether the fine-tuning data holds synthetic text is {missing}.", missing=NOT_SHOWN),
        "",
        _("## 3. Data processing aspects"),
        "",
        _("### 3.1 Respect of reservation of rights from the text and data mining exception"),
        "",
        _reuse(licences),
        "",
        _("### 3.2 Removal of illegal content"),
        "",
        *_filtering(evidence, curated, language),
    ]
    return "\n".join(text(line, language) for line in lines)


def _origins(
    evidence: Evidence,
    curated: Curated,
    url: Line,
    language: str,
) -> list[Line]:
    """Where the fine-tuning data comes from: each curated dataset's sources (documents,
    characters, licences, and the address and attribution its record gives each); data given
    as files by the address stated at fine-tuning (`url`), or said to be missing."""
    lines: list[Line] = []
    for folder, record in curated:
        sources = record["params"]["sources"]
        lines += [
            "",
            curated_caption(folder, record),
            "",
            *source_table(record, evidence, language),
            "",
            _(
                "- Where it comes from: {sources}; each document keeps its own licence, source, "
                "URL and attribution in the shards",
                sources="; ".join(text(_origin(source), language) for source in sources),
            ),
        ]
    if not curated:
        return ["", _("- Where it comes from: {url}", url=url)]
    if uncurated_files(evidence, curated):
        lines.append(_("- Where the other fine-tuning data comes from: {url}", url=url))
    return lines


def _origin(source: dict[str, Any]) -> Message:
    """A source of a curated dataset with the address and attribution its record gives."""
    return _(
        "`{source}` (URL: {url}; attribution: {attribution})",
        source=str(source["name"]),
        url=source.get("url") or _("not recorded"),
        attribution=source.get("attribution") or _("not recorded"),
    )


def _filtering(
    evidence: Evidence,
    curated: Curated,
    language: str,
) -> list[Line]:
    """What each curated dataset's curation removed (personal data, documents whose licence
    does not permit the use) and what its language and quality filters excluded, from its
    record; data given as files was not filtered by gemeingut, so that is said to be missing."""
    if not curated:
        return [_("Filtering of the fine-tuning data is {missing}.", missing=NOT_SHOWN), ""]
    lines: list[Line] = []
    for folder, record in curated:
        lines += [curated_caption(folder, record), "", *illegal_content(record, language), ""]
    others = uncurated_files(evidence, curated)
    if others:
        lines += [
            _(
                "Filtering of the other fine-tuning data ({files}) is {missing}.",
                files=", ".join(f"`{rel}`" for rel in others),
                missing=NOT_SHOWN,
            ),
            "",
        ]
    lines += [_("### 3.3 Other information"), ""]
    for folder, record in curated:
        lines += [
            curated_caption(folder, record),
            "",
            *quality_filters(record["stats"], language),
            "",
        ]
    return lines


def _dependency(bundle: Path, base: dict[str, Any], earlier: list[dict[str, Any]]) -> Message:
    """The foreign base, by its record and the copies of its files; for a chain also the
    fine-tunes between it and the released one, by id, oldest first."""
    named = {
        "base": str(base.get("path")),
        "licence": base.get("license") or _("not named"),
        "fingerprint": str(base.get("fingerprint")),
        "copies": ", ".join(f"`{name}`" for name in base_copies(bundle)),
        "folder": BASE_DIR,
    }
    if earlier:
        return _(
            "fine-tuned from `{base}` (licence `{licence}`, fingerprint `{fingerprint}`) "
            "through the earlier fine-tunes {chain}, whose data and records are in this bundle; "
            "copies of the base's files {copies} are in `{folder}/`",
            **named,
            chain=" → ".join(f"`{meta['id']}`" for meta in earlier),
        )
    return _(
        "fine-tuned from `{base}` (licence `{licence}`, fingerprint `{fingerprint}`); "
        "copies of its files {copies} are in `{folder}/`",
        **named,
    )


def _data_sizes(bundle: Path, record: dict[str, Any], earlier: list[dict[str, Any]]) -> list[Line]:
    """The training data's size of the modification: of the fine-tuning, or of each
    fine-tune of a chain, oldest first, each from its own record in the bundle."""
    if not earlier:
        return [
            _(
                "- Training data size (text) of the modification: {examples} ({kinds}); {tokens}",
                **_size(record),
            )
        ]
    lines: list[Line] = []
    for meta in earlier:
        path = bundle / earlier_record(str(meta["id"]))
        own = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        if "train" not in (own.get("data") or {}):  # `verify` names the record it lacks
            lines.append(
                _(
                    "- Training data size (text) of the earlier fine-tune {model}: {missing}",
                    model=str(meta["id"]),
                    missing=_("_{text}_", text=NOT_SHOWN),
                )
            )
            continue
        lines.append(
            _(
                "- Training data size (text) of the earlier fine-tune {model}: {examples} "
                "({kinds}); {tokens}",
                model=str(meta["id"]),
                **_size(own),
            )
        )
    lines.append(
        _(
            "- Training data size (text) of the released fine-tune: {examples} ({kinds}); {tokens}",
            **_size(record),
        )
    )
    return lines


def _size(record: dict[str, Any]) -> dict[str, Message]:
    """A fine-tune's training examples, their kinds and tokens, as its record counts them."""
    train = record["data"]["train"]
    return {
        "examples": training_examples(int(train["examples"])),
        "kinds": example_kinds(train),
        "tokens": tuning_tokens({**train, **(record.get("stats") or {})}),
    }


def _shipped(evidence: Evidence, earlier: list[dict[str, Any]]) -> Message:
    """Read off the bundle: whether the fine-tuning data lies in it (a chain's: every
    fine-tune's, each earlier one's in its own folder)."""
    folder = f"{TRAINING_DATA}/finetuning"
    files = [  # files, not the folders among them: the count is the files a reader finds
        rel
        for rel in evidence.present
        if rel.startswith(f"{folder}/")
        and (evidence.root / rel).is_file()
        and rel != f"{folder}/{DATA_STATEMENT}"  # the data's statement (`--publication`)
    ]
    if not files:
        return _(
            "Whether private data was used is {missing}: {folder}/ is empty.",
            missing=NOT_SHOWN,
            folder=folder,
        )
    entries = plural(len(files), _("1 file"), _("{count} files", count=len(files)))
    if not earlier:
        return _(
            "None: the fine-tuning data is in this bundle ({folder}/, {entries}).",
            folder=folder,
            entries=entries,
        )
    earlier_folder = f"{TRAINING_DATA}/{FINETUNE_EARLIER}"
    lacking = [
        str(meta["id"])
        for meta in earlier
        if not any(rel.startswith(f"{earlier_folder}/{meta['id']}/") for rel in evidence.present)
    ]
    if lacking:
        return _(
            "Whether private data was used is {missing}: the bundle lacks the data of the "
            "earlier fine-tunes {models} ({folder}/<id>/).",
            missing=NOT_SHOWN,
            models=", ".join(lacking),
            folder=earlier_folder,
        )
    return _(
        "None: the data of every fine-tune of the chain is in this bundle ({folder}/, "
        "{entries}; each earlier fine-tune's in {earlier}/<id>/).",
        folder=folder,
        entries=entries,
        earlier=earlier_folder,
    )


def _reuse(licences: dict[str, Any]) -> Message:
    if not licences:
        return _("The fine-tuning data's licence is {missing}.", missing=NOT_SHOWN)
    refused = sorted(lic for lic in licences if not decide(lic).admitted)
    if refused:
        return _(
            "Some fine-tuning data is not under an open licence: {licences}.",
            licences=", ".join(refused),
        )
    return _(
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
    base, release = record["base_model"], evidence.release
    config_path = bundle / "model" / "config.json"
    if not config_path.is_file():  # an adapter: the base's architecture
        config_path = bundle / "base-model" / "config.json"
    config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
    weights = sorted(
        p.relative_to(bundle).as_posix()
        for p in (bundle / "model").iterdir()
        if p.is_file() and p.suffix in (".safetensors", ".gguf")
    )
    size = model_size(bundle)
    return {
        "form": "GPAI Code of Practice, Model Documentation Form (fields evidenced by gemeingut)",
        "general_information": {
            **provider_fields(release),
            "model_name": release["name"],
            "model_authenticity": {
                "sha256": hash_files(bundle, weights),
                "signature": "bundle.sig (OpenSSF model-signing) when the bundle is signed",
            },
            "release_date": NOT_EVIDENCED,
            "union_market_release_date": NOT_EVIDENCED,
            "model_dependencies": f"fine-tuned from `{base.get('path')}` (licence "
            f"`{base.get('license') or 'not named'}`, fingerprint `{base.get('fingerprint')}`)"
            f"{_through(bundle)}, documented by its own provider",
        },
        "model_properties": {
            "architecture": ", ".join(config.get("architectures") or []),
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "maximum_input_size_tokens": config.get("max_position_embeddings"),
            "total_parameters": size.total,
            "trained_parameters": size.trained,
            "parameters_counted": _counted(size),
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
            **_earlier_examples(bundle),
        },
        **_resources(bundle, record),
    }


def _through(bundle: Path) -> str:
    """A chain's earlier fine-tunes, by id, oldest first, as the form's dependencies say them."""
    lineage = json.loads((bundle / TRAINING_METADATA / "lineage.json").read_text("utf-8"))
    earlier = [f"`{meta['id']}`" for meta in earlier_finetunes(lineage)]
    if not earlier:
        return ""
    return (
        f" through the earlier fine-tunes {' → '.join(earlier)} (their data and records in "
        f"this bundle, {TRAINING_METADATA}/{FINETUNE_EARLIER}/<id>/); the base"
    )


def _earlier_examples(bundle: Path) -> dict[str, Any]:
    """A chain's earlier fine-tunes' training examples, by id, oldest first, each as its own
    record in the bundle counts them (none outside a chain)."""
    lineage = json.loads((bundle / TRAINING_METADATA / "lineage.json").read_text("utf-8"))
    counted = {}
    for meta in earlier_finetunes(lineage):
        record = bundle / earlier_record(str(meta["id"]))
        data = json.loads(record.read_text("utf-8")).get("data") if record.is_file() else None
        train = (data or {}).get("train") or {}
        counted[str(meta["id"])] = train.get("examples", NOT_EVIDENCED)
    if not counted:
        return {}
    return {
        "earlier_fine_tunes_examples": counted,
        "earlier_provenance": f"the earlier fine-tunes' data in {TRAINING_DATA}/"
        f"{FINETUNE_EARLIER}/<id>/, their records in {TRAINING_METADATA}/{FINETUNE_EARLIER}/<id>/",
    }


def _resources(bundle: Path, record: dict[str, Any]) -> dict[str, Any]:
    """The form's compute and energy: of the fine-tuning, or of every fine-tuning of a chain
    (`chain_runs.py`), each link from its own record in the bundle; the base's training as
    its files state it."""
    base = {"base_model": base_statement(bundle / BASE_DIR)}
    if earlier_runs(bundle):
        runs = tuning_runs(bundle)
        return {
            "computational_resources": chain_compute(runs, TUNING_SUM),
            "energy_consumption": {
                **chain_energy(runs, TUNING_SUM),
                "scope": "kwh and method: every fine-tuning of the chain (stages); base_model: "
                "the base model's own training, as its files state it",
                **base,
            },
        }
    stats = record.get("stats") or {}
    parameters, tokens = stats.get("parameters"), stats.get("tokens_seen")
    return {
        "computational_resources": {
            "training_time_seconds": stats.get("wall_seconds_total"),
            "training_compute_flops": 6 * parameters * tokens if parameters and tokens else None,
            "compute_method": "6·N·D of the fine-tuning only (training-metadata/finetune.json: "
            "N all parameters, for LoRA an upper bound; D the tokens seen); the base model's "
            "pretraining is documented by its own provider",
            "hardware": record.get("hardware"),
        },
        "energy_consumption": {
            **tuning_consumption(record),
            "scope": f"kwh and method: the fine-tuning only ({FINETUNE_RECORD}); base_model: "
            "the base model's own training, as its files state it",
            **base,
        },
    }


def _counted(size: ModelSize) -> str:
    """Where the parameter counts come from, so a reader can count them again."""
    if size.adapter:
        return (
            "total: the base model's parameters as counted at fine-tuning "
            "(training-metadata/finetune.json) plus the adapter's "
            "(model/adapter_model.safetensors); trained: the adapter's"
        )
    return (
        "total: the safetensors headers in model/; trained: the parameters the fine-tuning "
        "trained (training-metadata/finetune.json)"
    )


def example_kinds(train: dict[str, Any]) -> Message:
    """How many chats, prompt/completion pairs and texts the fine-tuning data holds, each
    with its noun in its number: "1 chat, 7 prompt/completion pairs, 2 texts"."""
    chats, pairs, texts = (
        int(train.get(key) or 0)
        for key in ("chat_examples", "instruction_examples", "text_examples")
    )
    chats_said = plural(chats, _("{count} chat", count=chats), _("{count} chats", count=chats))
    pairs_said = plural(
        pairs,
        _("{count} prompt/completion pair", count=pairs),
        _("{count} prompt/completion pairs", count=pairs),
    )
    texts_said = plural(texts, _("{count} text", count=texts), _("{count} texts", count=texts))
    return _("{chats}, {pairs}, {texts}", chats=chats_said, pairs=pairs_said, texts=texts_said)


def training_examples(count: int) -> Message:
    """ "1 training example", "7 training examples"."""
    one = _("{count} training example", count=count)
    return plural(count, one, _("{count} training examples", count=count))
