"""Fine-tune a base model on one's own data: LoRA adapters (default) or all weights.

The loop is pretraining's (AdamW, warm-up + cosine, clipping, accumulation, autocast, the same
data order, log and checkpoints) on a model loaded from a local folder instead of built from a
preset, with the loss on trained tokens only (`finetune_data.py`). Checkpoints hold only what
trains (the adapters, or all weights in full fine-tuning) with optimizer, data position and RNG
state, so a run killed at any point resumes on the same loss curve. One process: fine-tuning a
model that needs several devices is not supported yet.

The result is a LoRA adapter (adapter_config.json + adapter_model.safetensors, loadable with
peft on top of the base), or with `merge` / full fine-tuning a standalone model folder that
`transformers` loads; `finetune.json` names the base model (licence, card, fingerprint) and the
data, for the release.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.checkpoints import CHECKPOINT_DIR, load_latest, read_index, save_checkpoint
from gemeingut.model.data_order import DataOrder, Windows, pack_split
from gemeingut.model.finetune_data import (
    StreamWindows,
    TrainingWindows,
    pack,
    read_examples,
    split_validation,
)
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.model.lora import add_adapters
from gemeingut.model.loss import AnswerLoss
from gemeingut.model.machine import compute_dtype, hardware, resolve_device, resolve_precision
from gemeingut.model.pretrain import adamw, lr_at, to_device, with_threads
from gemeingut.model.run_state import out_of_memory_as_input_error
from gemeingut.model.token_file import TOKEN_DIR, open_split, tokenize_split
from gemeingut.model.training_log import (
    LOG_FILE,
    JsonlLog,
    Rate,
    StepClock,
    StepRecords,
    read_records,
)
from gemeingut.progress import progress_bar
from gemeingut.recipe import FinetuneSection, FinetuneTraining

METADATA_FILE = FINETUNE_FILE
DATA_DIR = "data"
CURATED_DIR = "curated-dataset"  # in DATA_DIR: the shards of a curated dataset used as data


@dataclass
class Tuner:
    """The model being tuned and what a step needs."""

    lm: nn.Module  # the causal LM (with adapters injected, under LoRA)
    base_parameters: int  # before adapters
    base_dtype: str  # of the frozen (LoRA) or trained (full) base weights
    wrapper: Any  # the peft model under LoRA, else the LM
    loss: AnswerLoss
    forward: Any  # loss, or torch.compile(loss)
    trainable: dict[str, nn.Parameter]
    optimizer: torch.optim.Optimizer
    device: torch.device
    precision: str
    grad_clip: float

    def autocast(self) -> Any:
        if self.precision == "fp32":
            return nullcontext()
        return torch.autocast(self.device.type, dtype=compute_dtype(self.precision))


def finetune(
    base: BaseModelFacts, data: Path, section: FinetuneSection, out_dir: Path
) -> dict[str, Any]:
    """Train and save the fine-tuned model (or adapter) into `out_dir`; returns its stats."""
    return with_threads(section.training.threads, lambda: _finetune(base, data, section, out_dir))


def _finetune(
    base: BaseModelFacts, data: Path, section: FinetuneSection, out_dir: Path
) -> dict[str, Any]:
    started = time.perf_counter()
    cfg = section.training
    device = resolve_device(cfg.device)
    precision = resolve_precision(cfg.precision, device)
    tokenizer = AutoTokenizer.from_pretrained(base.path)
    train, val = _windows(data, section, tokenizer, out_dir / TOKEN_DIR)
    global_batch = cfg.batch_size * cfg.grad_accumulation
    if section.epochs is not None:
        steps = max(1, math.ceil(section.epochs * len(train) / global_batch))
        cfg = cfg.model_copy(update={"steps": steps})
    if cfg.warmup_steps is None:
        cfg = cfg.model_copy(update={"warmup_steps": cfg.steps // 10})
    elif cfg.warmup_steps >= cfg.steps:
        raise InputError(
            f"warmup_steps = {cfg.warmup_steps} is not shorter than the {cfg.steps} training "
            "steps: the learning rate would never reach its peak",
            "lower warmup_steps, or raise steps (or epochs)",
        )
    tuner = _tuner(base, section, cfg, tokenizer, device, precision)
    order = DataOrder(len(train), cfg.seed, global_batch)
    folder = out_dir / CHECKPOINT_DIR
    start_step, position, earlier = _restore(tuner, load_latest(folder))
    log = JsonlLog(out_dir / LOG_FILE, start_step)
    with out_of_memory_as_input_error(cfg, device, 1):
        if start_step == 0:
            initial_val = val_loss = _validation_loss(tuner, val, cfg)
            log.write({"step": 0, "val_loss": initial_val})
        else:  # the latest logged validation loss (the final one if no step is left to run)
            logged = [r["val_loss"] for r in read_records(out_dir / LOG_FILE) if "val_loss" in r]
            initial_val, val_loss = logged[0], logged[-1]
        evaluates = len(val) > 0
        with progress_bar("finetune", total=cfg.steps, unit="steps") as advance:
            clock = StepClock(device)
            records = StepRecords(log, advance, clock, Rate(global_batch * cfg.seq_len, 0, None, 1))
            records.advance(start_step)
            for step in range(start_step, cfg.steps):
                for group in tuner.optimizer.param_groups:
                    group["lr"] = lr_at(step, cfg)
                indices = order.batch_at(position)
                mark = clock.mark()
                loss, grad_norm, answer_tokens = _step(tuner, train, indices, cfg.grad_accumulation)
                numbers, finished = clock.to_host(loss=loss, grad_norm=grad_norm)
                position += global_batch
                record = {"step": step + 1, "lr": lr_at(step, cfg), "answer_tokens": answer_tokens}
                if evaluates and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
                    val_loss = record["val_loss"] = _validation_loss(tuner, val, cfg)
                records.add(record, numbers, (mark, finished), _nan_if_none(val_loss))
                if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                    records.flush()
                    wall = earlier + time.perf_counter() - started
                    _checkpoint(tuner, folder, step + 1, position, order, cfg, wall)
            records.flush()
    log.close()
    shutil.rmtree(out_dir / TOKEN_DIR, ignore_errors=True)  # a cache of a curated dataset
    output = _save(tuner, section, base, tokenizer, out_dir)
    _keep_data(data, section.validation, out_dir / DATA_DIR)
    return _write_metadata(
        out_dir / METADATA_FILE,
        base=base,
        data=data,
        section=section,
        cfg=cfg,
        tuner=tuner,
        train=train,
        val=val,
        output=output,
        losses=(initial_val, val_loss),
        steps=(start_step, cfg.steps),
        wall=(earlier, time.perf_counter() - started),
    )


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def _windows(
    data: Path, section: FinetuneSection, tokenizer: PreTrainedTokenizerBase, tokens: Path
) -> tuple[TrainingWindows, TrainingWindows]:
    seq_len = section.training.seq_len
    if (data / SHARD_DIR).is_dir() and section.validation is None:
        return _curated_windows(data, tokenizer, seq_len, tokens)
    examples = read_examples(data, "train")
    if section.validation is not None:
        held = read_examples(section.validation, "validation")
    else:
        examples, held = split_validation(
            examples, section.validation_fraction, section.training.seed
        )
    train = pack(examples, tokenizer, seq_len)
    if len(train) == 0 or train.stats["trained_tokens"] == 0:
        raise InputError(
            f"the fine-tuning data {data} gives no tokens to train on "
            f"({train.stats['examples']} examples, {train.stats['without_targets']} without "
            "an answer)",
            "add examples with answers (prompt/completion, chat) or text",
        )
    return train, pack(held, tokenizer, seq_len)


def _curated_windows(
    data: Path, tokenizer: PreTrainedTokenizerBase, seq_len: int, tokens: Path
) -> tuple[StreamWindows, TrainingWindows]:
    """A curated dataset's train and validation splits, memory-mapped; a validation split too
    small for one window means no validation."""
    for split in ("train", "validation"):
        tokenize_split(data, split, tokenizer, tokens)
    train = StreamWindows(pack_split(tokens, "train", seq_len, data))
    held = Windows(open_split(tokens, "validation"), seq_len)
    return train, StreamWindows(held) if len(held) else pack([], tokenizer, seq_len)


def _tuner(
    base: BaseModelFacts,
    section: FinetuneSection,
    cfg: FinetuneTraining,
    tokenizer: PreTrainedTokenizerBase,
    device: torch.device,
    precision: str,
) -> Tuner:
    torch.manual_seed(cfg.seed)
    # LoRA leaves the base frozen: in bf16 it needs half the memory (the adapters stay fp32,
    # peft's default); full fine-tuning keeps fp32 master weights for the optimizer.
    frozen_bf16 = section.method == "lora" and precision == "bf16"
    lm = _load_model(base, torch.bfloat16 if frozen_bf16 else torch.float32)
    embeddings = lm.get_input_embeddings().num_embeddings
    if len(tokenizer) > embeddings:
        raise InputError(
            f"vocabulary mismatch: the tokenizer in {base.path} has {len(tokenizer)} tokens but "
            f"the model embeds only {embeddings}",
            "use the tokenizer that belongs to the model (the files from the same folder)",
        )
    wrapper = lm
    base_parameters = sum(p.numel() for p in lm.parameters())
    if section.method == "lora":
        lora = section.lora
        wrapper = add_adapters(lm, lora.rank, lora.alpha, lora.dropout, lora.target_modules)
    if cfg.activation_checkpointing:  # non-reentrant: frozen inputs need no requires_grad
        lm.activation_checkpointing_enable({"use_reentrant": False})
    lm.to(device)
    trainable = {name: p for name, p in lm.named_parameters() if p.requires_grad}
    loss = AnswerLoss(lm)
    return Tuner(
        lm=lm,
        base_parameters=base_parameters,
        base_dtype=str(lm.get_input_embeddings().weight.dtype).removeprefix("torch."),
        wrapper=wrapper,
        loss=loss,
        forward=torch.compile(loss) if cfg.compile else loss,
        trainable=trainable,
        optimizer=adamw(list(trainable.values()), cfg, fused=True),
        device=device,
        precision=precision,
        grad_clip=cfg.grad_clip,
    )


def _load_model(base: BaseModelFacts, dtype: torch.dtype) -> nn.Module:
    try:
        return AutoModelForCausalLM.from_pretrained(base.path, dtype=dtype)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"transformers cannot load the base model in {base.path}: {exc}",
            "pass a causal language model folder (config.json, weights, tokenizer)",
        ) from None


def _step(
    tuner: Tuner, windows: TrainingWindows, indices: torch.Tensor, micro_batches: int
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One optimizer step; the loss is the mean over all answer tokens of the global batch."""
    parts = [p for p in indices.chunk(micro_batches) if len(p)]
    batches = [windows.targets(p) for p in parts]
    answer_tokens = int(sum((targets != -100).sum() for _, targets in batches))
    total = torch.zeros((), device=tuner.device)
    for inputs, targets in batches:
        inputs, targets = to_device(inputs, tuner.device), to_device(targets, tuner.device)
        with tuner.autocast():
            summed = tuner.forward(inputs, targets)
        (summed / answer_tokens).backward()
        total += summed.detach().float()
    params = list(tuner.trainable.values())
    grad_norm = torch.nn.utils.clip_grad_norm_(params, tuner.grad_clip)
    tuner.optimizer.step()
    tuner.optimizer.zero_grad(set_to_none=True)
    return total / answer_tokens, grad_norm.detach(), answer_tokens


@torch.no_grad()
def _validation_loss(tuner: Tuner, val: TrainingWindows, cfg: FinetuneTraining) -> float | None:
    """Mean loss per answer token over the first `eval_batches` batches of validation windows;
    None without validation data."""
    if len(val) == 0:
        return None
    tuner.lm.eval()
    total, count = 0.0, 0
    for start in range(0, min(len(val), cfg.eval_batches * cfg.batch_size), cfg.batch_size):
        inputs, targets = val.targets(list(range(start, min(start + cfg.batch_size, len(val)))))
        with tuner.autocast():
            total += float(tuner.loss(inputs.to(tuner.device), targets.to(tuner.device)))
        count += int((targets != -100).sum())
    tuner.lm.train()
    return total / count if count else None


def _checkpoint(
    tuner: Tuner,
    folder: Path,
    step: int,
    position: int,
    order: DataOrder,
    cfg: FinetuneTraining,
    wall: float,
) -> None:
    cuda = tuner.device.type == "cuda"
    state = {
        "step": step,
        "trainable": {name: p.detach().cpu() for name, p in tuner.trainable.items()},
        "optimizer": tuner.optimizer.state_dict(),
        "rng": {
            "cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state(tuner.device) if cuda else None,
        },
        "data": {"seed": order.seed, "global_batch": order.global_batch, "windows": position},
        "progress": {"wall_seconds": wall},
    }
    save_checkpoint(folder, step, state, cfg.keep_checkpoints)


def _restore(tuner: Tuner, state: dict[str, Any] | None) -> tuple[int, int, float]:
    """(step, windows consumed, wall seconds of earlier runs); a fresh start without state."""
    if state is None:
        return 0, 0, 0.0
    with torch.no_grad():
        for name, value in state["trainable"].items():
            tuner.trainable[name].copy_(value)
    tuner.optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["cpu"])
    if tuner.device.type == "cuda" and state["rng"]["cuda"] is not None:
        torch.cuda.set_rng_state(state["rng"]["cuda"], tuner.device)
    return int(state["step"]), int(state["data"]["windows"]), state["progress"]["wall_seconds"]


def _save(
    tuner: Tuner,
    section: FinetuneSection,
    base: BaseModelFacts,
    tokenizer: PreTrainedTokenizerBase,
    out_dir: Path,
) -> str:
    """Write the result; returns its format: "lora-adapter", "merged" or "full"."""
    tuner.lm.to("cpu")
    if section.method == "lora" and not section.merge:
        tuner.wrapper.peft_config["default"].base_model_name_or_path = base.name
        with warnings.catch_warnings():  # "no config file in <name>": the name is not a path
            warnings.simplefilter("ignore", UserWarning)
            tuner.wrapper.save_pretrained(str(out_dir), safe_serialization=True)
        (out_dir / "README.md").unlink(missing_ok=True)  # peft's card: placeholders only
        output = "lora-adapter"
    else:
        if section.method == "lora":  # merged in fp32, as `load_causal_lm` merges an adapter
            model = tuner.wrapper.to(torch.float32).merge_and_unload()
        else:
            model = tuner.lm
        model.save_pretrained(str(out_dir), safe_serialization=True)
        output = "merged" if section.method == "lora" else "full"
    tokenizer.save_pretrained(str(out_dir))
    return output


def curated_copies(artifact_dir: Path) -> list[Path]:
    """The copies of curated datasets among a fine-tuning artifact's data (train, validation)."""
    data = artifact_dir / DATA_DIR
    return [d for d in (data / CURATED_DIR, data / "validation" / CURATED_DIR) if d.is_dir()]


def _keep_data(data: Path, validation: Path | None, target: Path) -> None:
    """A copy of the fine-tuning data, so the artifact holds what a release must publish: the
    file or folder as given, or of a curated dataset its train and validation shards and stats
    (their documents' licences, attributions and use conditions) under `curated-dataset/`."""
    for path, folder in ((data, target), (validation, target / "validation")):
        if path is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if (path / SHARD_DIR).is_dir():
            copy = folder / CURATED_DIR
            (copy / SHARD_DIR).mkdir(parents=True, exist_ok=True)
            for split in ("train", "validation"):
                for shard in sorted((path / SHARD_DIR).glob(f"{split}-*.parquet")):
                    shutil.copy2(shard, copy / SHARD_DIR / shard.name)
            shutil.copy2(path / "stats.json", copy / "stats.json")
        elif path.is_dir():
            shutil.copytree(path, folder / path.name, dirs_exist_ok=True)  # a rerun
        else:
            shutil.copy2(path, folder / path.name)


def _write_metadata(
    path: Path,
    *,
    base: BaseModelFacts,
    data: Path,
    section: FinetuneSection,
    cfg: FinetuneTraining,
    tuner: Tuner,
    train: TrainingWindows,
    val: TrainingWindows,
    output: str,
    losses: tuple[float | None, float | None],
    steps: tuple[int, int],
    wall: tuple[float, float],
) -> dict[str, Any]:
    """`finetune.json`: base model, data, method and run; returns the artifact's stats."""
    parameters = tuner.base_parameters
    trainable = sum(p.numel() for p in tuner.trainable.values())
    global_batch = cfg.batch_size * cfg.grad_accumulation
    records = [r for r in read_records(path.parent / LOG_FILE) if "answer_tokens" in r]
    stats = {
        "output": output,
        "method": section.method,
        "base_model": base.name,
        "base_license": base.license,
        "parameters": parameters,
        "trainable_parameters": trainable,
        "train_windows": len(train),
        "validation_windows": len(val),
        "trained_tokens": train.stats["trained_tokens"],
        "answer_tokens_seen": sum(r["answer_tokens"] for r in records),
        "tokens_seen": steps[1] * global_batch * cfg.seq_len,
        "steps": steps[1],
        "resumed_from_step": steps[0],
        "initial_val_loss": losses[0],
        "final_val_loss": losses[1],
        "wall_seconds_total": round(sum(wall), 3),
    }
    metadata = {
        "base_model": base.record(),
        "data": {
            "path_name": data.name,
            "train": train.stats,
            "validation": val.stats,
            "validation_from": str(section.validation.name)
            if section.validation
            else (
                "the dataset's validation split"
                if (data / SHARD_DIR).is_dir()
                else f"{section.validation_fraction:.0%} of the examples, seed {cfg.seed}"
            ),
            "loss_on": "answers only (assistant turns, completions); all of plain text",
        },
        "method": section.method,
        "lora": section.lora.model_dump(mode="json") if section.method == "lora" else None,
        "lora_targets": _targets(tuner) if section.method == "lora" else None,
        "output": output,
        "training": cfg.model_dump(mode="json"),
        "optimizer": {"name": "AdamW", "betas": [0.9, 0.95], "parameters": "trainable only"},
        "device": tuner.device.type,
        "precision": tuner.precision,
        "base_weights_dtype": tuner.base_dtype,
        "hardware": hardware(tuner.device, 1),
        "checkpoints": {
            str(s): e["sha256"] for s, e in read_index(path.parent / CHECKPOINT_DIR).items()
        },
        "stats": stats,
    }
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return stats


def _targets(tuner: Tuner) -> list[str] | str:
    targets = tuner.wrapper.peft_config["default"].target_modules
    return sorted(targets) if isinstance(targets, set | list) else str(targets)
