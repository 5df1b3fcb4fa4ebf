"""`gemeingut tokenizer` and `gemeingut model`: train tokenizers, pretrain, fine-tune, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gemeingut.cli.app import model_app, tokenizer_app
from gemeingut.cli.common import (
    BatchSize,
    Device,
    GradAccumulation,
    JsonFlag,
    OutDir,
    Precision,
    Threads,
    given_path,
    report,
    say,
    user_errors,
)
from gemeingut.i18n import Message, _, current_language, localized, plural, text
from gemeingut.recipe import (
    FinetuneSection,
    FinetuneTraining,
    LoraSettings,
    ModelSection,
    TokenizerSection,
    TrainingSection,
)
from gemeingut.workspace import at, load_artifact


@tokenizer_app.command("train")
@user_errors
def tokenizer_train(
    dataset: Annotated[Path, typer.Argument(help="Dataset artifact directory.", parser=given_path)],
    out: OutDir,
    vocab_size: int = 4096,
    min_frequency: int = 2,
    as_json: JsonFlag = False,
) -> None:
    """Train a byte-level BPE tokenizer on the train split of DATASET."""
    from gemeingut.stages import tokenizer_stage

    section = TokenizerSection(vocab_size=vocab_size, min_frequency=min_frequency)
    artifact, reused = tokenizer_stage(at(out), load_artifact(dataset, "dataset"), section)
    report("tokenizer", artifact, reused, as_json)


@model_app.command("pretrain")
@user_errors
def model_pretrain(
    dataset: Annotated[Path, typer.Option(help="Dataset artifact directory.", parser=given_path)],
    tokenizer: Annotated[
        Path, typer.Option(help="Tokenizer artifact directory.", parser=given_path)
    ],
    out: OutDir,
    preset: Annotated[str, typer.Option(help="micro, demo, small, 125m or 1b.")] = "demo",
    steps: int = 300,
    batch_size: BatchSize = 16,
    seq_len: int = 128,
    learning_rate: float = 3e-3,
    warmup_steps: int = 20,
    seed: int = 0,
    threads: Threads = 1,
    device: Device = "auto",
    precision: Precision = "auto",
    grad_accumulation: GradAccumulation = 1,
    eval_every: int = 50,
    eval_batches: Annotated[int, typer.Option(help="Validation batches per evaluation.")] = 8,
    checkpoint_every: int = 100,
    keep_checkpoints: Annotated[int, typer.Option(help="Keep the newest K checkpoints.")] = 1,
    compile: Annotated[bool, typer.Option("--compile/--no-compile", help="torch.compile.")] = False,
    strategy: Annotated[str, typer.Option(help="Under torchrun: ddp or fsdp.")] = "ddp",
    as_json: JsonFlag = False,
) -> None:
    """Pretrain a Llama-family model from scratch on DATASET.

    Under `torchrun --nproc_per_node N` every process runs this command; rank 0 builds the
    artifact and the others train their share of each batch (DDP, or FSDP with --strategy fsdp).
    """
    from gemeingut.model.distributed import lead_or_follow
    from gemeingut.stages import pretrain_stage

    training = TrainingSection(
        steps=steps,
        batch_size=batch_size,
        seq_len=seq_len,
        learning_rate=learning_rate,
        warmup_steps=warmup_steps,
        seed=seed,
        threads=threads,
        device=device,
        precision=precision,
        grad_accumulation=grad_accumulation,
        eval_every=eval_every,
        eval_batches=eval_batches,
        checkpoint_every=checkpoint_every,
        keep_checkpoints=keep_checkpoints,
        compile=compile,
        strategy=strategy,
    )
    section = ModelSection(preset=preset, training=training)
    result = lead_or_follow(
        lambda: pretrain_stage(
            at(out),
            load_artifact(dataset, "dataset"),
            load_artifact(tokenizer, "tokenizer"),
            section,
        )
    )
    if result is None:  # a follower rank under torchrun: rank 0 reports
        return
    artifact, reused = result
    report("model", artifact, reused, as_json)
    if not as_json:
        s = artifact.stats
        losses = _(
            "validation loss {first} → {last}",
            first=localized(f"{s['initial_val_loss']:.3f}", current_language()),
            last=localized(f"{s['final_val_loss']:.3f}", current_language()),
        )
        say(" ", losses)


@model_app.command("finetune")
@user_errors
def model_finetune(
    base: Annotated[
        Path,
        typer.Argument(help="Base model: any local Hugging Face causal LM.", parser=given_path),
    ],
    data: Annotated[
        Path,
        typer.Option(
            help="Dataset artifact, JSONL (text, prompt/completion, messages) or text.",
            parser=given_path,
        ),
    ],
    out: OutDir,
    method: Annotated[str, typer.Option(help="lora (adapters) or full (all weights).")] = "lora",
    merge: Annotated[
        bool, typer.Option("--merge", help="LoRA: write a standalone merged model.")
    ] = False,
    license: Annotated[
        str | None,
        typer.Option(help="SPDX licence you mean to release under; checked against the base's."),
    ] = None,
    base_license: Annotated[
        str | None,
        typer.Option(
            help="The base model's licence (SPDX), where its card and LICENSE file name none "
            "or disagree."
        ),
    ] = None,
    data_license: Annotated[
        str | None, typer.Option(help="SPDX licence of DATA (needed to release the result).")
    ] = None,
    data_attribution: Annotated[
        str | None, typer.Option(help="Attribution DATA's licence asks for (CC-BY …).")
    ] = None,
    data_url: Annotated[str | None, typer.Option(help="Where DATA comes from.")] = None,
    validation: Annotated[
        Path | None,
        typer.Option(help="Validation data; default: 10% of DATA held out.", parser=given_path),
    ] = None,
    steps: int = 100,
    epochs: Annotated[
        float | None, typer.Option(help="Train this many epochs instead of --steps.")
    ] = None,
    batch_size: BatchSize = 8,
    seq_len: int = 512,
    learning_rate: Annotated[
        float | None, typer.Option(help="Default: 2e-4 (LoRA), 2e-5 (full).")
    ] = None,
    warmup_steps: Annotated[int | None, typer.Option(help="Default: a tenth of the steps.")] = None,
    grad_accumulation: GradAccumulation = 1,
    lora_rank: int = 8,
    lora_alpha: float = 16.0,
    lora_dropout: float = 0.05,
    target_modules: Annotated[
        str | None, typer.Option(help="Comma-separated layer names; default per architecture.")
    ] = None,
    seed: int = 0,
    threads: Threads = 1,
    device: Device = "auto",
    precision: Precision = "auto",
    eval_every: int = 25,
    checkpoint_every: int = 50,
    activation_checkpointing: Annotated[
        bool,
        typer.Option(
            # no --no-… twin (off by default, as --merge): with it, the names left an
            # 80-column terminal no room for any option's help
            "--activation-checkpointing",
            help="Recompute activations in backward: less memory, more compute.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Adapt BASE to your own data with LoRA or full fine-tuning.

    Chat (`messages`) and prompt/completion data are trained on the answers only. The base
    model's licence and card are recorded in the new artifact's lineage; with --license, a
    release licence the base model's or the data's licence forbids is refused before training.
    A base under terms of their own (`license: other`, llama3 …) needs their text beside it
    (LICENSE), which the fine-tune then carries.

    Under `torchrun --nproc_per_node N` every process runs this command; rank 0 builds the
    artifact and the others train their share of each batch (DDP).
    """
    from gemeingut.model.distributed import lead_or_follow
    from gemeingut.model.finetune_data_licence import refuse_closed_data
    from gemeingut.model.finetune_licence_text import missing_text_note, refuse_missing_base_text
    from gemeingut.model.finetune_said import mostly_cut
    from gemeingut.model.loading import FINETUNE_FILE
    from gemeingut.stages import finetune_stage

    _refuse_misnamed_licences(
        {"--license": license, "--base-license": base_license, "--data-license": data_license}
    )
    refuse_closed_data(data_license, license)
    _refuse_missing_data({"--data": data, "--validation": validation})
    refuse_missing_base_text(base, base_license, license)
    section = FinetuneSection(
        base=base,
        data=data,
        validation=validation,
        method=method,
        merge=merge,
        base_license=base_license,
        data_license=data_license,
        data_attribution=data_attribution,
        data_url=data_url,
        epochs=epochs,
        lora=LoraSettings(
            rank=lora_rank,
            alpha=lora_alpha,
            dropout=lora_dropout,
            target_modules=target_modules.split(",") if target_modules else None,
        ),
        training=FinetuneTraining(
            steps=steps,
            batch_size=batch_size,
            seq_len=seq_len,
            learning_rate=learning_rate,
            warmup_steps=warmup_steps,
            grad_accumulation=grad_accumulation,
            seed=seed,
            threads=threads,
            device=device,
            precision=precision,
            eval_every=eval_every,
            checkpoint_every=checkpoint_every,
            activation_checkpointing=activation_checkpointing,
        ),
    )
    result = lead_or_follow(
        lambda: finetune_stage(at(out), base, data, section, license, "--license")
    )
    if result is None:  # a follower rank under torchrun: rank 0 reports
        return
    artifact, reused = result
    if reused:  # the record keeps the first run's licence, which `release --finetuned` takes
        from gemeingut.errors import InputError
        from gemeingut.model.release_licence import stale_licence

        refusal = stale_licence(artifact.path, license)
        if refusal:
            raise InputError(*refusal)
    report(artifact.kind, artifact, reused, as_json)
    record = json.loads((artifact.path / FINETUNE_FILE).read_text(encoding="utf-8"))
    if not as_json:
        _say_run(artifact.stats, record)
    for note in (mostly_cut(record), missing_text_note(artifact.path)):
        if note is not None:  # on stderr: also beside --json
            say("[yellow]![/]", note)


def _say_run(s: dict[str, Any], record: dict[str, Any]) -> None:
    """What was trained, what was cut, and how the validation loss went, from the run's record
    (`finetune_said.py`: the card and the technical report say it in the same words)."""
    from gemeingut.model.finetune_said import cut_said, unvalidated_said

    # one line each, unwrapped: the base's path makes one line longer than a terminal,
    # and rich would break it wherever the width ends
    say(" ", _trained(s))
    cut = cut_said(record)
    if cut is not None:
        say(" ", cut)
    if s["final_val_loss"] is None:
        why, hint = unvalidated_said(record)
        say(" ", why if hint is None else _("{message} (hint: {hint})", message=why, hint=hint))
        return
    first, last = _loss(s["initial_val_loss"]), _loss(s["final_val_loss"])
    say(" ", _("validation loss {first} → {last}", first=first, last=last))


def _trained(s: dict[str, Any]) -> Message:
    """What was trained, each count named: a LoRA adapter's parameters are new ones beside the
    base's (the card counts the two together; merged into them, the base's alone), a full
    fine-tuning's are the base's own."""
    named = {"method": s["method"], "base": s["base_model"], "parameters": s["parameters"]}
    if s.get("output") == "merged":  # the adapter merged into the base: the base's count
        return _(
            "{method} on {base}: an adapter of {trainable} parameters trained beside the base "
            "model's {parameters}, kept frozen, and merged into them: {parameters} parameters",
            trainable=s["trainable_parameters"],
            **named,
        )
    if s["method"] == "lora":
        return _(
            "{method} on {base}: {total} parameters, of them the base model's {parameters} "
            "kept frozen and an adapter of {trainable} parameters trained",
            trainable=s["trainable_parameters"],
            total=s["parameters"] + s["trainable_parameters"],
            **named,
        )
    return _(
        "{method} on {base}: {trainable} of {parameters} parameters trained",
        trainable=s["trainable_parameters"],
        **named,
    )


def _refuse_misnamed_licences(given: dict[str, str | None]) -> None:
    """A misspelt licence (`CC0`, `Apache 2.0`) is refused, naming its option, before a model
    loads: `--data-license` and `--base-license` would else be recorded as written and refused
    only at release, after the training."""
    from gemeingut.release.licence_given import refuse_unknown_licence

    for option, licence in given.items():
        if licence is not None:
            refuse_unknown_licence(licence, option)


def _refuse_missing_data(given: dict[str, Path | None]) -> None:
    """Data that is not there is said with its option before the base model is read (whose
    files are hashed: minutes for a large model)."""
    from gemeingut.errors import InputError

    for option, path in given.items():
        if path is not None and not path.exists():
            raise InputError(
                _("{option} {path} does not exist", option=option, path=str(path)),
                _(
                    "check the path: a dataset artifact folder, a JSONL file (text, "
                    "prompt/completion, messages) or a text file"
                ),
            )


def _loss(value: float | None) -> str:
    language = current_language()
    return text(_("n/a"), language) if value is None else localized(f"{value:.3f}", language)


@model_app.command("export")
@user_errors
def model_export(
    model: Annotated[
        Path,
        typer.Argument(
            help="Model artifact, HF folder or release (Llama, Mistral, Qwen2, Gemma, OLMo 2).",
            parser=given_path,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="GGUF file to write.", parser=given_path)],
    dtype: Annotated[str, typer.Option(help="f16 or f32 (1-D tensors stay f32).")] = "f16",
    name: Annotated[
        str | None,
        typer.Option(
            help="general.name (default: the release's name, else the card's model_name)."
        ),
    ] = None,
    license: Annotated[
        str | None,
        typer.Option(
            help="general.license, SPDX (default: the release's, else the card's licence)."
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            help="A LoRA adapter's base model folder, where it is neither at the path the "
            "adapter names nor in the local Hugging Face cache.",
            parser=given_path,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write MODEL as one GGUF file for llama.cpp and Ollama; read back and verified.

    MODEL may be a release (its bundle/model) as `gemeingut serve` takes it; a bundle's model
    is named and licensed as its release.json declares. A LoRA adapter is merged onto its base
    model first (in a temporary folder: room for the whole model is needed there)."""
    from gemeingut.model.export import export_gguf

    summary = export_gguf(_model_folder(model), out, dtype, name, license, base)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        count = summary["tensors"]
        tensors = plural(count, _("1 tensor"), _("{count} tensors", count=count))
        written = _(
            "GGUF ({dtype}) written: {path} ({tensors}, {size} MB, sha256 {sha256})",
            dtype=summary["dtype"],
            path=summary["path"],
            tensors=tensors,
            size=localized(f"{summary['bytes'] / 1e6:.1f}", current_language()),
            sha256=summary["sha256"][:16],
        )
        say("[green]✓[/]", written)


def _model_folder(path: Path) -> Path:
    """The model folder in what the user named, found as `gemeingut serve` finds it (a model
    folder, a bundle, a release); a path that holds none stays as it is, so that the export
    says what it lacks."""
    from gemeingut.errors import InputError
    from gemeingut.serve.runner import resolve_model_dir  # the web stack: only for an export

    try:
        return resolve_model_dir(path)
    except InputError:
        return path
