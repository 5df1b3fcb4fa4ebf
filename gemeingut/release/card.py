"""The model card (README.md in Hugging Face format), written from the bundle's files, never by
hand: `release` renders it and `verify` renders it again and compares, as for the technical
report, so a number, a row or a sentence changed after release is named.

Every number in it is read from the bundle: the artifacts' stats in
`training-metadata/lineage.json`, `evaluation.json`, `finetune.json` and the audit's
`report.json`; name, licences, languages and description from `release.json`. The YAML header
carries licence, languages and `model-index` results (the test split named by the release's
own shards) so the Hub and other tools can read them.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from gemeingut.data.publish.reasons import reason_said
from gemeingut.data.use_conditions import KNOWN_CONDITIONS
from gemeingut.i18n import Message, _, decimal, localized, plural, text, translator
from gemeingut.release.card_audit import audit_context, audit_results
from gemeingut.release.card_phrases import (
    base_phrase,
    bundle_language,
    context_phrase,
    evaluation_rows,
    licence_phrase,
    parameters_phrase,
    provider_phrase,
    validation_loss,
)
from gemeingut.release.finetune_phrases import own_chain_phrase, trained_on
from gemeingut.release.layout import (
    AUDIT_REPORT,
    CARD,
    FINETUNE_RECORD,
    RELEASE_INFO,
    TEST_DATA,
    TEST_SHARDS,
    TRAINING_METADATA,
    listed_shards,
)
from gemeingut.release.markdown_table import render_template
from gemeingut.release.openness.summary import openness_sentence, openness_tags

TEMPLATE = (files("gemeingut.release") / "model_card.md.j2").read_text(encoding="utf-8")
METHODS = {
    "merged": _("LoRA (merged)"),
    "lora-adapter": _("LoRA (adapter)"),
    "full": _("full fine-tuning"),
}


def render_card(bundle: Path, rating: dict[str, Any]) -> str:
    """The card of a release of our own pretraining, from the bundle's files alone, in the
    release's `document_language`; its openness paragraph and tags come from `rating`
    (`openness/rating.py`)."""
    release = read_json(bundle / RELEASE_INFO)
    language = bundle_language(release)
    lineage = read_json(bundle / TRAINING_METADATA / "lineage.json")
    dataset, tokenizer = lineage["dataset"], lineage["tokenizer"]
    model, evaluation = lineage["model"], lineage["evaluation"]
    tuned = lineage.get("finetune")
    audit = read_json(bundle / AUDIT_REPORT) if "audit" in lineage else None
    results = read_json(bundle / TRAINING_METADATA / "evaluation.json")
    data_stats, model_stats = dataset["stats"], model["stats"]
    training = model["params"]["training"]
    card_data = card_header(
        release,
        rating,
        "llama",
        eval_results=[
            _result(dataset, "perplexity", "Perplexity", results["perplexity"]),
            _result(dataset, "bits_per_byte", "Bits per byte", results["bits_per_byte"]),
            _result(dataset, "loss", "Loss", results["loss"]),
            *audit_results(audit),
        ],
    )
    context: dict[str, Any] = {
        "_": translator(language),
        "model_name": release["name"],
        "openness": openness_sentence(rating, language),
        "documents_license": release["licenses"]["documents"],
        "description": release.get("description")
        or text(_("_No description given in the recipe._"), language),
        "model_id": (tuned or model)["id"],
        "pretrained_id": model["id"],
        "fine_tuned_from": base_phrase(model["id"], language),
        "finetune": finetune_context(tuned, read_json(bundle / FINETUNE_RECORD), language)
        if tuned is not None
        else None,
        "chain": own_chain_phrase(lineage, language),
        "audit": audit_context(audit, language),
        "dataset_id": dataset["id"],
        "tokenizer_id": tokenizer["id"],
        "evaluation_id": evaluation["id"],
        "code": model["code"],
        "preset": model["params"]["preset"],
        "parameters": parameters_phrase(model_stats["parameters"], language),
        "context": context_phrase(results["context_length"], language),
        "vocab_size": tokenizer["stats"]["vocab_size"],
        "model_license": licence_phrase(release["licenses"]["weights"], language),
        "provider": provider_phrase(release, language),
        "commercial_use": release.get("commercial_use"),
        "use_conditions": data_stats.get("use_conditions", {}),
        "known_conditions": list(KNOWN_CONDITIONS),
        "steps": plural(
            training["steps"],
            _("{count} step", count=training["steps"]),
            _("{count} steps", count=training["steps"]),
        ),
        "batch_size": training["batch_size"],
        "seq_len": training["seq_len"],
        "learning_rate": localized(f"{training['learning_rate']:g}", language),
        "seed": str(training["seed"]),  # a name of the run, not an amount: no digit groups
        "threads": plural(
            training["threads"],
            _("{count} CPU thread", count=training["threads"]),
            _("{count} CPU threads", count=training["threads"]),
        ),
        "tokens_seen": model_stats["tokens_seen"],
        "flops": localized(f"{model_stats['flops_6nd']:.2e}", language),
        "initial_val_loss": decimal(model_stats["initial_val_loss"], 4, language),
        "final_val_loss": decimal(model_stats["final_val_loss"], 4, language),
        "eval_documents": results["documents"],
        "eval_tokens": results["tokens"],
        "metrics": evaluation_rows(results, language),
        **{
            key: data_stats[key]
            for key in (
                "documents_in",
                "kept",
                "excluded",
                "kept_by_license",
                "splits",
            )
        },
        "excluded_by_reason": {
            reason_said(reason, language): count
            for reason, count in data_stats["excluded_by_reason"].items()
        },
    }
    return rendered_card(TEMPLATE, card_data, language, context)


def rendered_card(
    template: str, card_data: ModelCardData, language: str, context: dict[str, Any]
) -> str:
    """The card as `ModelCard.from_template` renders it (the header's fields and `context` for
    the template), each number written as the card's language writes it."""
    values = {**card_data.to_dict(), **context, "card_data": card_data.to_yaml()}
    return str(ModelCard(render_template(template, language, values)))


def card_header(
    release: dict[str, Any],
    rating: dict[str, Any],
    kind: str,
    library: str = "transformers",
    **fields: Any,
) -> ModelCardData:
    """The card's YAML header from `release.json`: name, languages, licence and the tags the
    rating gives (both kinds of card). `library`: what loads the model, as the Hub names it
    (`peft` for a LoRA adapter, which is no model without its `base_model`)."""
    return ModelCardData(
        model_name=release["name"],
        language=release["languages"],
        **hub_licence(release["licenses"]["weights"]),
        library_name=library,
        pipeline_tag="text-generation",
        tags=["gemeingut", *openness_tags(rating), kind],
        **fields,
    )


def hub_licence(expression: str) -> dict[str, str]:
    """The header's licence fields as the Hub reads them: one licence by its id in lower case;
    an expression of several (`A AND B`, `A WITH exception`) is `other`, named in
    `license_name` (the Hub's field takes one id, and "a and b" is none)."""
    if not re.search(r"\s", expression.strip()):
        return {"license": expression.strip().lower()}
    name = re.sub(r"[^a-z0-9.]+", "-", expression.lower()).strip("-")
    return {"license": "other", "license_name": name}


def finetune_context(meta: dict[str, Any], record: dict[str, Any], language: str) -> dict[str, Any]:
    """What the card says about fine-tuning, from the fine-tune's lineage entry (`meta`) and
    its published `finetune.json` (`record`); its steps and examples each in their number."""
    stats, params = meta.get("stats", {}), meta["params"]
    lora = record.get("lora") or {}
    method = METHODS.get(stats.get("output", ""), METHODS["full"])
    if lora:
        method = _(
            "{method} (rank {rank}, alpha {alpha}, on {targets})",
            method=method,
            rank=lora["rank"],
            alpha=lora["alpha"],
            targets=_targets(record),
        )
    data_license = params.get("data_license")
    return {
        "method": text(method, language),
        "trainable": stats["trainable_parameters"],
        **trained_on(record["data"]["train"], stats),  # steps, examples, kinds
        "data_license": f"`{data_license}`"
        if data_license
        else text(_("the licences of its documents (see NOTICE)"), language),
        "answer_tokens": stats["answer_tokens_seen"],
        "initial_val_loss": validation_loss(stats["initial_val_loss"], language),
        "final_val_loss": validation_loss(stats["final_val_loss"], language),
    }


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _targets(record: dict[str, Any]) -> str:
    targets = record["lora_targets"]
    return ", ".join(f"`{t}`" for t in targets) if isinstance(targets, list) else f"`{targets}`"


def _result(dataset: dict[str, Any], metric: str, name: str, value: float) -> EvalResult:
    """An evaluation result on the test split as a reference `datasets` resolves: the Parquet
    builder on the release's own test shards (`load_dataset("parquet", data_files=...)` in the
    bundle or its Hub repository), with each shard's sha256 from the lineage and the curated
    dataset's id (no Hub dataset holds the split, so no Hub id is claimed)."""
    return EvalResult(
        task_type="text-generation",
        dataset_type="parquet",
        dataset_name=f"held-out test split of {dataset['id']} ({TEST_DATA}/ of this release)",
        dataset_split="test",
        dataset_args={
            "data_files": {"test": f"{TEST_DATA}/{TEST_SHARDS}"},
            "sha256": _test_shards(dataset),
            "gemeingut_dataset": dataset["id"],
        },
        metric_type=metric,
        metric_name=name,
        metric_value=round(float(value), 6),
    )


def model_index_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """The test shards the card's `model-index` names, with the sha256 the lineage records for
    them (`_result`), against the shards the MANIFEST lists: the reference must name the files
    the release holds."""
    path = bundle / TRAINING_METADATA / "lineage.json"
    lineage = read_json(path) if path.is_file() else None
    dataset = lineage.get("dataset") if isinstance(lineage, dict) else None
    if not isinstance(dataset, dict):
        return []  # a fine-tune of a foreign base: its card has no test split of ours
    named = _test_shards(dataset)
    held = {rel: listed[rel] for rel in listed_shards(listed, TEST_DATA, TEST_SHARDS)}
    where = f"{TRAINING_METADATA}/lineage.json"
    problems = [
        _(
            "{card}: model-index names {path} with sha256 {named} (from {lineage}), but the "
            "MANIFEST lists {listed}",
            card=CARD,
            path=rel,
            named=digest,
            lineage=where,
            listed=held.get(rel) or _("no such file"),
        )
        for rel, digest in named.items()
        if held.get(rel) != digest
    ]
    problems.extend(
        _(
            "{card}: model-index does not name the test shard {path} ({lineage} lacks it)",
            card=CARD,
            path=rel,
            lineage=where,
        )
        for rel in sorted(held.keys() - named.keys())
    )
    return problems


def _test_shards(dataset: dict[str, Any]) -> dict[str, str]:
    """The bundle path and sha256 of each test shard the curated dataset records."""
    return {
        f"{TEST_DATA}/{PurePosixPath(rel).name}": str(digest).removeprefix("sha256:")
        for rel, digest in sorted(dataset["files"].items())
        if PurePosixPath(rel).match(TEST_SHARDS)
    }
