"""The model card (README.md in Hugging Face format), written from the artifacts, never by hand.

Every number in it is read from an artifact's stats; the YAML header carries licence, languages,
datasets and `model-index` results so the Hub and other tools can read them.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from gemeingut.data.use_conditions import KNOWN_CONDITIONS
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.recipe import ReleaseSection
from gemeingut.release.card_audit import audit_context, audit_report, audit_results
from gemeingut.release.openness.summary import openness_sentence, openness_tags
from gemeingut.workspace import Artifact

TEMPLATE = (files("gemeingut.release") / "model_card.md.j2").read_text(encoding="utf-8")
METHODS = {"merged": "LoRA (merged)", "lora-adapter": "LoRA (adapter)", "full": "full fine-tuning"}


def render_card(
    release: ReleaseSection, artifacts: dict[str, Artifact], rating: dict[str, Any]
) -> str:
    """The card; its openness paragraph and tags come from `rating` (`openness/rating.py`)."""
    dataset, tokenizer = artifacts["dataset"], artifacts["tokenizer"]
    model, evaluation = artifacts["model"], artifacts["evaluation"]
    tuned = artifacts.get("finetune")
    audit = audit_report(artifacts.get("audit"))
    data_stats, model_stats, results = dataset.stats, model.stats, evaluation.stats
    training = model.meta["params"]["training"]
    card_data = card_header(
        release,
        rating,
        "llama",
        eval_results=[
            _result(dataset.id, "perplexity", "Perplexity", results["perplexity"]),
            _result(dataset.id, "bits_per_byte", "Bits per byte", results["bits_per_byte"]),
            _result(dataset.id, "loss", "Loss", results["loss"]),
            *audit_results(audit),
        ],
    )
    context: dict[str, Any] = {
        "model_name": release.model_name,
        "openness": openness_sentence(rating),
        "documents_license": release.documents_license,
        "description": release.description or "_No description given in the recipe._",
        "model_id": (tuned or model).id,
        "pretrained_id": model.id,
        "finetune": finetune_context(tuned) if tuned is not None else None,
        "audit": audit_context(audit),
        "dataset_id": dataset.id,
        "tokenizer_id": tokenizer.id,
        "evaluation_id": evaluation.id,
        "code": model.meta["code"],
        "preset": model.meta["params"]["preset"],
        "parameters": f"{model_stats['parameters']:,}",
        "context": results["context_length"],
        "vocab_size": tokenizer.stats["vocab_size"],
        "model_license": release.license,
        "commercial_use": release.commercial_use,
        "use_conditions": data_stats.get("use_conditions", {}),
        "known_conditions": list(KNOWN_CONDITIONS),
        "steps": training["steps"],
        "batch_size": training["batch_size"],
        "seq_len": training["seq_len"],
        "learning_rate": training["learning_rate"],
        "seed": training["seed"],
        "threads": training["threads"],
        "tokens_seen": f"{model_stats['tokens_seen']:,}",
        "flops": f"{model_stats['flops_6nd']:.2e}",
        "initial_val_loss": f"{model_stats['initial_val_loss']:.4f}",
        "final_val_loss": f"{model_stats['final_val_loss']:.4f}",
        "eval_documents": results["documents"],
        "eval_tokens": results["tokens"],
        "loss": f"{results['loss']:.4f}",
        "perplexity": f"{results['perplexity']:.2f}",
        "bpb": f"{results['bits_per_byte']:.4f}",
        **{
            key: data_stats[key]
            for key in (
                "documents_in",
                "kept",
                "excluded",
                "kept_by_license",
                "excluded_by_reason",
                "splits",
            )
        },
    }
    return str(ModelCard.from_template(card_data, template_str=TEMPLATE, **context))


def card_header(
    release: ReleaseSection, rating: dict[str, Any], kind: str, **fields: Any
) -> ModelCardData:
    """The card's YAML header: name, languages, licence and the tags the rating gives (both
    kinds of card; `verify` checks licence and tags against the rating)."""
    return ModelCardData(
        model_name=release.model_name,
        language=release.languages,
        license=release.license.lower(),
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=["gemeingut", *openness_tags(rating), kind],
        **fields,
    )


def finetune_context(tuned: Artifact) -> dict[str, Any]:
    """What the card says about fine-tuning, from the artifact and its `finetune.json`."""
    record = json.loads((tuned.path / FINETUNE_FILE).read_text(encoding="utf-8"))
    stats, params = tuned.stats, tuned.meta["params"]
    lora = record.get("lora") or {}
    return {
        "method": METHODS.get(stats.get("output", ""), "full fine-tuning"),
        "lora": f"rank {lora['rank']}, alpha {lora['alpha']}, on {_targets(record)}"
        if lora
        else "",
        "trainable": f"{stats['trainable_parameters']:,}",
        "examples": record["data"]["train"],
        "data_license": f"`{params['data_license']}`"
        if params.get("data_license")
        else "the licences of its documents (see NOTICE)",
        "steps": stats["steps"],
        "answer_tokens": f"{stats['answer_tokens_seen']:,}",
        "initial_val_loss": _loss(stats["initial_val_loss"]),
        "final_val_loss": _loss(stats["final_val_loss"]),
    }


def _targets(record: dict[str, Any]) -> str:
    targets = record["lora_targets"]
    return ", ".join(f"`{t}`" for t in targets) if isinstance(targets, list) else f"`{targets}`"


def _loss(value: float | None) -> str:
    return "n/a (no validation data)" if value is None else f"{value:.4f}"


def _result(dataset_id: str, metric: str, name: str, value: float) -> EvalResult:
    return EvalResult(
        task_type="text-generation",
        dataset_type=dataset_id,
        dataset_name=f"{dataset_id} (held-out test split)",
        dataset_split="test",
        metric_type=metric,
        metric_name=name,
        metric_value=round(float(value), 6),
    )
