"""TECHNICAL_REPORT.md: how the model was made and what it can do, from the bundle's own files.

Everything comes from `training-metadata/` (lineage, training record, evaluation), the model's
`config.json` and the audit's `report.json`, so `verify` renders it again and compares. Prose
that only people can write (intended use beyond the description) is marked as not given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.release.layout import (
    AUDIT,
    MODEL,
    RELEASE_INFO,
    TRAINING_METADATA,
)
from gemeingut.release.openness.evidence import validation_curve

_NOT_GIVEN = "_not given in the recipe_"


def render_technical_report(bundle: Path) -> str:
    meta = bundle / TRAINING_METADATA
    lineage = _read(meta / "lineage.json")
    training = _read(meta / "training.json")
    evaluation = _read(meta / "evaluation.json")
    config = _read(bundle / MODEL / "config.json")
    release = _read(bundle / RELEASE_INFO)
    dataset, tokenizer = lineage["dataset"], lineage["tokenizer"]
    lines = [
        f"# Technical report: {release['name']}",
        "",
        "Generated from the files of this bundle (`training-metadata/`, `model/config.json`, "
        "`audit/report.json`); `gemeingut verify` renders it again and compares.",
        "",
        "## 1. Summary",
        "",
        *_table(
            ("item", "value"),
            [
                ("architecture", f"`{training['architecture']}` (preset `{training['preset']}`)"),
                ("parameters", f"{lineage['model']['stats']['parameters']:,}"),
                ("context length", f"{config.get('max_position_embeddings')} tokens"),
                ("vocabulary", f"{tokenizer['stats']['vocab_size']:,} tokens (byte-level BPE)"),
                ("training tokens seen", f"{training['stats']['tokens_seen']:,}"),
                ("training compute", f"{training['flops']['flops_6nd']:.3e} FLOPs (6·N·D)"),
                ("energy", _energy(training["energy"])),
                ("hardware", _hardware(training["hardware"])),
                ("languages", ", ".join(release.get("languages") or []) or _NOT_GIVEN),
                ("treatment", release.get("treatment", "pre-trained")),
            ],
        ),
        "",
        "## 2. Training data",
        "",
        f"{dataset['stats']['documents_in']} documents read, {dataset['stats']['kept']} kept, "
        f"{dataset['stats']['excluded']} excluded. Every kept document carries its licence "
        "and source in the shards (`license`, `source`, `url`, `attribution` columns).",
        "",
        *_table(("source", "documents kept"), sorted(dataset["stats"]["kept_by_source"].items())),
        "",
        *_table(
            ("licence", "documents kept"),
            [(f"`{k}`", v) for k, v in sorted(dataset["stats"]["kept_by_license"].items())],
        ),
        "",
        *_table(
            ("reason for exclusion", "documents"),
            sorted(dataset["stats"]["excluded_by_reason"].items()),
        ),
        "",
        "## 3. Tokenizer",
        "",
        f"Byte-level BPE with {tokenizer['stats']['vocab_size']:,} tokens, trained on the "
        f"training split (`{tokenizer['id']}`): "
        f"{tokenizer['stats']['test_bytes_per_token']:.2f} bytes per token on the test split.",
        "",
        "## 4. Architecture",
        "",
        *_table(
            ("config.json field", "value"),
            [(f"`{k}`", f"`{config[k]}`") for k in _ARCHITECTURE_FIELDS if k in config],
        ),
        "",
        "## 5. Training",
        "",
        *_table(
            ("hyper-parameter", "value"),
            [(f"`{k}`", f"`{v}`") for k, v in sorted(training["training"].items())],
        ),
        "",
        f"Optimizer: {training['optimizer']['name']}, betas {training['optimizer']['betas']}, "
        f"{training['optimizer']['schedule']}, gradient clipping "
        f"{training['optimizer']['grad_clip']}. Global batch {training['batch']['global_batch']} "
        f"sequences ({training['batch']['tokens_per_step']:,} tokens per step). The data order "
        "is replayable from `training-metadata/data_order/`.",
        "",
        *_table(("step", "validation loss"), _validation_curve(meta / "training_log.jsonl")),
        "",
        *_snapshots(training),
        *_finetuning(lineage),
        "## 7. Evaluation",
        "",
        f"Held-out test split: {evaluation['documents']} documents, {evaluation['tokens']:,} "
        f"tokens; loss {evaluation['loss']:.4f} nats/token, perplexity "
        f"{evaluation['perplexity']:.2f}, {evaluation['bits_per_byte']:.4f} bits per byte.",
        "",
        *_audit(bundle / AUDIT / "report.json"),
        "## 8. Use and reproduction",
        "",
        "- Load: `AutoModelForCausalLM.from_pretrained('model')` (transformers), or serve "
        "in your own network: `gemeingut serve .`",
        "- Check: `gemeingut verify .` (hashes, openness checks, this report; with "
        "`--key PUBLIC_KEY` also the signature).",
        "- Rebuild: the code that ran is `training-code/` (exact package versions in "
        "`training-code/requirements.lock`), the recipe `training-code/recipe.toml`.",
        "",
        "## 9. Lineage",
        "",
        *_table(("artifact", "id"), [(role, f"`{m['id']}`") for role, m in lineage.items()]),
        "",
    ]
    return "\n".join(lines)


_ARCHITECTURE_FIELDS = (
    "model_type",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "hidden_act",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_parameters",
    "tie_word_embeddings",
    "vocab_size",
)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _table(head: tuple[str, str], rows: list[tuple[Any, Any]]) -> list[str]:
    return [f"| {head[0]} | {head[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]


def _energy(energy: dict[str, Any]) -> str:
    kwh = energy.get("kwh_total_extrapolated", energy.get("kwh_this_run"))
    return f"{kwh:.3g} kWh ({energy.get('method', 'method not recorded')})"


def _hardware(hardware: dict[str, Any]) -> str:
    device = hardware.get("device")
    if device == "cuda":
        return f"{hardware.get('gpu_count')} × {hardware.get('gpu_name', 'GPU')}"
    return f"{hardware.get('cpu_model')}, {hardware.get('torch_threads')} thread(s)"


def _validation_curve(log: Path) -> list[tuple[Any, Any]]:
    return [(step, f"{loss:.4f}") for step, loss in validation_curve(log)]


def _snapshots(training: dict[str, Any]) -> list[str]:
    names = sorted(training.get("snapshots", {}))
    if not names:
        return ["No intermediate weights were kept (`model.snapshot_every` was 0).", ""]
    return [
        f"Intermediate weights: {len(names)} snapshots in `training-metadata/checkpoints/` "
        f"({', '.join(names)}).",
        "",
    ]


def _finetuning(lineage: dict[str, Any]) -> list[str]:
    tuned = lineage.get("finetune")
    if tuned is None:
        return []
    stats = tuned["stats"]
    return [
        "## 6. Fine-tuning",
        "",
        f"Method: {stats['method']}; {stats['trainable_parameters']:,} trainable parameters, "
        f"{stats['steps']} steps, {stats['tokens_seen']:,} tokens seen; the run is described "
        "in `training-metadata/finetune.json`.",
        "",
    ]


def _audit(report_path: Path) -> list[str]:
    if not report_path.is_file():
        return ["This release holds no audit (`audit/`).", ""]
    report = _read(report_path)
    suites = ", ".join(
        sorted(k for k in ("tasks", "bias", "memorisation", "redteam") if k in report)
    )
    return [
        f"The audit in `audit/` covers: {suites}; its reports (`audit/report.de.md`, "
        "`audit/report.en.md`) give every number with its interval and method.",
        "",
    ]


def render_finetune_report(bundle: Path) -> str:
    """The technical report of a fine-tune of a foreign base: the base (named, rated from
    `base-model/`), the fine-tuning data, method, curve, hardware, audit and lineage."""
    from gemeingut.release.openness.finetune_rating import base_paragraph

    meta = bundle / TRAINING_METADATA
    record = _read(meta / "finetune.json")
    lineage = _read(meta / "lineage.json")
    release = _read(bundle / RELEASE_INFO)
    stats, data, lora = record.get("stats") or {}, record["data"], record.get("lora") or {}
    train, validation = data["train"], data.get("validation") or {}
    lines = [
        f"# Technical report: {release['name']}",
        "",
        "Generated from the files of this bundle (`training-metadata/`, `base-model/`, "
        "`audit/report.json`); `gemeingut verify` renders it again and compares.",
        "",
        "## 1. Base model",
        "",
        base_paragraph(bundle, "en"),
        "",
        "## 2. Fine-tuning data",
        "",
        *_table(
            ("", ""),
            [
                ("examples (train)", train["examples"]),
                (
                    "chats / prompt-completion pairs / texts",
                    f"{train['chat_examples']} / {train['instruction_examples']} / "
                    f"{train['text_examples']}",
                ),
                ("trained tokens", f"{train['trained_tokens']:,}"),
                ("truncated examples", train["truncated"]),
                ("validation examples", validation.get("examples", 0)),
                ("validation from", data.get("validation_from", "-")),
                ("loss on", data.get("loss_on", "-")),
            ],
        ),
        "",
        "The data is in `training-data/finetuning/`.",
        "",
        "## 3. Method",
        "",
        *_table(
            ("", ""),
            [
                ("method", f"{record.get('method')} ({record.get('output')})"),
                ("LoRA", f"rank {lora['rank']}, alpha {lora['alpha']}" if lora else "-"),
                ("trainable parameters", f"{stats.get('trainable_parameters', 0):,}"),
                *((key, value) for key, value in sorted(record["training"].items())),
            ],
        ),
        "",
        "## 4. Training",
        "",
        f"{stats.get('steps')} steps, {stats.get('tokens_seen', 0):,} tokens seen, on "
        f"{_hardware(record.get('hardware') or {})}.",
        "",
        *_table(("step", "validation loss"), _validation_curve(meta / "finetune_log.jsonl")),
        "",
        "## 5. Evaluation",
        "",
        *_audit(bundle / AUDIT / "report.json"),
        "## 6. Use and reproduction",
        "",
        "- Check: `gemeingut verify .` (hashes, the base's file list, openness checks, this "
        "report; with `--key PUBLIC_KEY` also the signature).",
        "- Rebuild: fine-tune the base model named above with the code in `training-code/` "
        "(exact package versions in `training-code/requirements.lock`) on "
        "`training-data/finetuning/`, with the settings of section 3.",
        "",
        "## 7. Lineage",
        "",
        *_table(("artifact", "id"), [(role, f"`{m['id']}`") for role, m in lineage.items()]),
        "",
    ]
    return "\n".join(lines)
