"""The `gemeingut` command: parses arguments, calls one stage, prints what happened.

User mistakes (`GemeingutError`) end as one line plus a hint and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape

from gemeingut.errors import GemeingutError
from gemeingut.progress import console
from gemeingut.recipe import (
    EvaluateSection,
    FinetuneSection,
    FinetuneTraining,
    LoraSettings,
    ModelSection,
    ReleaseSection,
    SourceSpec,
    TokenizerSection,
    TrainingSection,
    data_section,
    describe,
    publication_info,
)
from gemeingut.workspace import at, load_artifact

# Our own progress bars show the work; transformers' per-file tqdm bars only add noise.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

app = typer.Typer(
    help="Gemeingut KI: build, publish and run fully open language models on your own machines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Stage 1: curate openly licensed corpora.", no_args_is_help=True)
tokenizer_app = typer.Typer(help="Stage 2a: train tokenizers.", no_args_is_help=True)
model_app = typer.Typer(help="Stage 2b: train and adapt models.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(tokenizer_app, name="tokenizer")
app.add_typer(model_app, name="model")

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(command: F) -> F:
    """Turn user mistakes into one readable line and exit code 2 (1 for system errors)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GemeingutError as exc:
            _say("[bold red]error:[/]", exc.message)
            if exc.hint:
                _say("[bold]hint:[/]", exc.hint)
            raise typer.Exit(2) from None
        except ValidationError as exc:  # an option out of range
            _say("[bold red]error:[/]", f"invalid option: {describe(exc)}")
            _say("[bold]hint:[/]", "see `--help` for the allowed values")
            raise typer.Exit(2) from None
        except OSError as exc:  # disk full, permission denied: the run itself failed
            _say("[bold red]error:[/]", str(exc))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _say(label: str, text: str) -> None:
    """One unwrapped line on stderr; the text is escaped so `[...]` in it is not markup."""
    console.print(f"{label} {escape(text)}", highlight=False, soft_wrap=True)


def _report(kind: str, artifact: Any, reused: bool, as_json: bool) -> None:
    if as_json:
        record = {"kind": kind, "path": str(artifact.path), "id": artifact.id, "reused": reused}
        typer.echo(json.dumps({**record, "stats": artifact.stats}, indent=2, ensure_ascii=False))
    else:
        state = "reused" if reused else "built"
        console.print(f"[green]✓[/] {kind} {artifact.id} {state}: {artifact.path}")


JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
OutDir = Annotated[Path, typer.Option("--out", help="Directory for the new artifact.")]
# Training options that pretraining and fine-tuning share (their defaults differ).
BatchSize = Annotated[int, typer.Option(help="Sequences per micro-batch and device.")]
GradAccumulation = Annotated[
    int, typer.Option(help="Micro-batches per step (global batch = batch × this × devices).")
]
Threads = Annotated[int, typer.Option(help="torch threads per process.")]
Device = Annotated[str, typer.Option(help="auto (CUDA when available), cpu or cuda.")]
Precision = Annotated[
    str, typer.Option(help="auto (bf16 where the GPU or CPU has bf16 units), fp32 or bf16.")
]


@app.command()
@user_errors
def build(
    recipe: Annotated[Path, typer.Argument(help="Recipe TOML describing the whole build.")],
    workspace: Annotated[Path, typer.Option(help="Workspace directory.")] = Path("workspace"),
    as_json: JsonFlag = False,
) -> None:
    """Run every stage of RECIPE that is missing in the workspace (finished ones are reused)."""
    from gemeingut.build import build as run_build
    from gemeingut.model.distributed import lead_or_follow

    # Under torchrun only rank 0 builds; the other ranks join the training stage and return.
    result = lead_or_follow(lambda: run_build(recipe, workspace))
    if result is None:
        return
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        console.print(f"release bundle: {Path(result['release']['path']) / 'bundle'}")


@data_app.command("curate")
@user_errors
def data_curate(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="JSONL(.gz/.zst)/Parquet files, saved HF datasets or folders."),
    ],
    out: OutDir,
    license: Annotated[
        str | None, typer.Option(help="SPDX licence for documents without a `license` field.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Source url for documents without one.")] = None,
    attribution: Annotated[str | None, typer.Option(help="Attribution text.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML with the keys of a recipe's [data] section.")
    ] = None,
    validation_fraction: Annotated[float | None, typer.Option(help="Default 0.1.")] = None,
    test_fraction: Annotated[float | None, typer.Option(help="Default 0.1.")] = None,
    split_seed: Annotated[int | None, typer.Option(help="Default 0.")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes; default one per core.")] = None,
    executor: Annotated[
        str | None, typer.Option(help="local (default) or ray (RAY_ADDRESS or a local instance).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Licence-check, clean, de-duplicate and split INPUTS into a dataset artifact."""
    from gemeingut.stages import curate_stage, require_documents

    sources = [
        SourceSpec(
            name=_source_name(path, i),
            path=path.resolve(),
            license=license,
            url=url,
            attribution=attribution,
        )
        for i, path in enumerate(inputs)
    ]
    options = {
        "validation_fraction": validation_fraction,
        "test_fraction": test_fraction,
        "split_seed": split_seed,
        "workers": workers,
        "executor": executor,
    }
    artifact, reused = curate_stage(at(out), data_section(sources, config, options))
    _report("dataset", artifact, reused, as_json)
    require_documents(artifact)
    if not as_json:
        stats = artifact.stats
        console.print(
            f"  {stats['documents_in']} in = {stats['kept']} kept + "
            f"{stats['excluded']} excluded {stats['excluded_by_reason']}"
        )


@data_app.command("fetch")
@user_errors
def data_fetch(
    url: Annotated[
        str, typer.Argument(help="https URL of an archive or file, a git repository, a path.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to fetch into: new, empty, or an earlier fetch.")
    ],
    revision: Annotated[
        str | None, typer.Option(help="Git branch, tag or commit (git sources only).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch a public source into a folder; FETCH.json records URL, commit or sha256, and files."""
    from gemeingut.data.fetch import fetch

    record = fetch(url, out, revision)
    if as_json:
        summary = {**record.to_json(), "path": str(out), "reused": record.reused}
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        state = "reused" if record.reused else "fetched"
        pin = f"commit {record.commit}" if record.commit else f"sha256 {record.sha256}"
        _say("[green]✓[/]", f"{record.kind} {state}: {out} ({len(record.files)} files, {pin})")


@data_app.command("publish")
@user_errors
def data_publish(
    dataset: Annotated[Path, typer.Argument(help="Dataset artifact directory.")],
    info: Annotated[
        Path, typer.Option(help="TOML with the [data.publication] keys (or a whole recipe).")
    ],
    out: OutDir,
    as_json: JsonFlag = False,
) -> None:
    """Write DATA_STATEMENT.md, croissant.json, dcat.ttl and NOTICE beside a copy of the data."""
    from gemeingut.stages import publish_stage

    artifact, reused = publish_stage(
        at(out), load_artifact(dataset, "dataset"), publication_info(info)
    )
    _report("publication", artifact, reused, as_json)
    missing = artifact.stats.get("missing_fields", [])
    if missing and not as_json:
        console.print(f"  prose not given (marked as missing): {', '.join(missing)}")


def _source_name(path: Path, index: int) -> str:
    stem = path.name.split(".")[0] or f"source{index}"
    return f"{stem}" if index == 0 else f"{stem}-{index}"


@tokenizer_app.command("train")
@user_errors
def tokenizer_train(
    dataset: Annotated[Path, typer.Argument(help="Dataset artifact directory.")],
    out: OutDir,
    vocab_size: int = 4096,
    min_frequency: int = 2,
    as_json: JsonFlag = False,
) -> None:
    """Train a byte-level BPE tokenizer on the train split of DATASET."""
    from gemeingut.stages import tokenizer_stage

    section = TokenizerSection(vocab_size=vocab_size, min_frequency=min_frequency)
    artifact, reused = tokenizer_stage(at(out), load_artifact(dataset, "dataset"), section)
    _report("tokenizer", artifact, reused, as_json)


@model_app.command("pretrain")
@user_errors
def model_pretrain(
    dataset: Annotated[Path, typer.Option(help="Dataset artifact directory.")],
    tokenizer: Annotated[Path, typer.Option(help="Tokenizer artifact directory.")],
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
    _report("model", artifact, reused, as_json)
    if not as_json:
        s = artifact.stats
        console.print(f"  validation loss {s['initial_val_loss']:.3f} → {s['final_val_loss']:.3f}")


@model_app.command("finetune")
@user_errors
def model_finetune(
    base: Annotated[Path, typer.Argument(help="Base model: any local Hugging Face causal LM.")],
    data: Annotated[
        Path,
        typer.Option(help="Dataset artifact, JSONL (text, prompt/completion, messages) or text."),
    ],
    out: OutDir,
    method: Annotated[str, typer.Option(help="lora (adapters) or full (all weights).")] = "lora",
    merge: Annotated[
        bool, typer.Option("--merge/--no-merge", help="LoRA: write a standalone merged model.")
    ] = False,
    license: Annotated[
        str | None,
        typer.Option(help="SPDX licence you mean to release under; checked against the base's."),
    ] = None,
    base_license: Annotated[
        str | None, typer.Option(help="The base model's licence, where its card names none.")
    ] = None,
    data_license: Annotated[
        str | None, typer.Option(help="SPDX licence of DATA (needed to release the result).")
    ] = None,
    data_attribution: Annotated[
        str | None, typer.Option(help="Attribution DATA's licence asks for (CC-BY …).")
    ] = None,
    data_url: Annotated[str | None, typer.Option(help="Where DATA comes from.")] = None,
    validation: Annotated[
        Path | None, typer.Option(help="Validation data; default: 10% of DATA held out.")
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
        bool, typer.Option(help="Recompute activations in backward: less memory, more compute.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Adapt BASE to your own data with LoRA or full fine-tuning.

    Chat (`messages`) and prompt/completion data are trained on the answers only. The base
    model's licence and card are recorded in the new artifact's lineage; with --license, a
    release licence the base model's licence forbids is refused before training.

    Under `torchrun --nproc_per_node N` every process runs this command; rank 0 builds the
    artifact and the others train their share of each batch (DDP).
    """
    from gemeingut.model.distributed import lead_or_follow
    from gemeingut.stages import finetune_stage

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
    result = lead_or_follow(lambda: finetune_stage(at(out), base, data, section, license))
    if result is None:  # a follower rank under torchrun: rank 0 reports
        return
    artifact, reused = result
    _report(artifact.kind, artifact, reused, as_json)
    if not as_json:
        s = artifact.stats
        console.print(
            f"  {s['method']} on {s['base_model']}: {s['trainable_parameters']:,} of "
            f"{s['parameters']:,} parameters trained; validation loss "
            f"{_loss(s['initial_val_loss'])} → {_loss(s['final_val_loss'])}"
        )


def _loss(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@model_app.command("export")
@user_errors
def model_export(
    model: Annotated[Path, typer.Argument(help="Model artifact or HF Llama folder.")],
    out: Annotated[Path, typer.Option("--out", help="GGUF file to write.")],
    dtype: Annotated[str, typer.Option(help="f16 or f32 (1-D tensors stay f32).")] = "f16",
    as_json: JsonFlag = False,
) -> None:
    """Write MODEL as one GGUF file for llama.cpp and Ollama; read back and verified."""
    from gemeingut.model.export_gguf import export_gguf

    summary = export_gguf(model, out, dtype)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        size = summary["bytes"] / 1e6
        _say(
            "[green]✓[/]",
            f"GGUF ({summary['dtype']}) written: {summary['path']} "
            f"({summary['tensors']} tensors, {size:.1f} MB, sha256 {summary['sha256'][:16]})",
        )


@app.command()
@user_errors
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model or adapter artifact directory.")],
    dataset: Annotated[Path, typer.Option(help="Dataset artifact with the test split.")],
    out: OutDir,
    batch_size: int = 8,
    as_json: JsonFlag = False,
) -> None:
    """Loss, perplexity and bits per byte of MODEL on the held-out test split."""
    from gemeingut.stages import evaluate_stage

    artifact, reused = evaluate_stage(
        at(out),
        load_artifact(model, ("model", "adapter")),
        load_artifact(dataset, "dataset"),
        EvaluateSection(batch_size=batch_size),
    )
    _report("evaluation", artifact, reused, as_json)
    if not as_json:
        s = artifact.stats
        console.print(
            f"  loss {s['loss']:.4f}  perplexity {s['perplexity']:.2f}  "
            f"bits/byte {s['bits_per_byte']:.4f}"
        )


@app.command()
@user_errors
def release(
    dataset: Annotated[Path, typer.Option(help="Dataset artifact directory.")],
    tokenizer: Annotated[Path, typer.Option(help="Tokenizer artifact directory.")],
    model: Annotated[Path, typer.Option(help="Model artifact directory.")],
    evaluation: Annotated[Path, typer.Option(help="Evaluation artifact directory.")],
    name: Annotated[str, typer.Option(help="Name of the released model.")],
    out: OutDir,
    license: Annotated[str, typer.Option(help="SPDX licence of the model.")] = "Apache-2.0",
    language: Annotated[
        list[str] | None, typer.Option(help="Language code (default de); repeat for more.")
    ] = None,
    recipe: Annotated[Path | None, typer.Option(help="Recipe to include as code.")] = None,
    finetuned: Annotated[
        Path | None,
        typer.Option(help="A model fine-tuned from MODEL (merged or full): released instead."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Bundle the five open artifacts with a model card and MANIFEST."""
    from gemeingut.stages import release_stage

    artifacts = {
        "dataset": load_artifact(dataset, "dataset"),
        "tokenizer": load_artifact(tokenizer, "tokenizer"),
        "model": load_artifact(model, "model"),
        "evaluation": load_artifact(evaluation, "evaluation"),
    }
    if finetuned is not None:
        artifacts["finetune"] = load_artifact(finetuned, "model")
    section = ReleaseSection(model_name=name, license=license, languages=language or ["de"])
    artifact, reused = release_stage(at(out), section, recipe, artifacts)
    _report("release", artifact, reused, as_json)


@app.command()
@user_errors
def verify(
    bundle: Annotated[Path, typer.Argument(help="Release bundle (or release artifact) folder.")],
) -> None:
    """Re-hash every file of BUNDLE; fail on any changed, missing, extra or escaping file."""
    from gemeingut.release.bundle import BUNDLE_DIR
    from gemeingut.release.manifest import MANIFEST, verify_bundle

    if not (bundle / MANIFEST).exists() and (bundle / BUNDLE_DIR / MANIFEST).exists():
        bundle = bundle / BUNDLE_DIR
    count = verify_bundle(bundle)
    console.print(f"[green]✓[/] {bundle}: all {count} files match the MANIFEST")


@app.command()
@user_errors
def serve(
    path: Annotated[Path, typer.Argument(help="Model directory, release bundle or artifact.")],
    host: str = "127.0.0.1",
    port: int = 8000,
    model_name: Annotated[str | None, typer.Option(help="Name the API reports.")] = None,
) -> None:
    """Serve a model with an OpenAI-compatible API (/v1/chat/completions, /v1/completions)."""
    from gemeingut.serve.app import run_server

    run_server(path, host=host, port=port, model_name=model_name)


if __name__ == "__main__":  # `python -m gemeingut.cli`, as the tests start a server process
    app()
