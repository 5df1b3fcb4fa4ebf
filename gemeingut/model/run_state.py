"""The parts of a training run that are not the loop: configuration checks, checkpoint state in
and out, the saved model, the release metadata, and out-of-memory errors a user can act on."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerBase

from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _
from gemeingut.model import distributed as dist
from gemeingut.model.checkpoints import CHECKPOINT_DIR, read_index, save_checkpoint
from gemeingut.model.data_order import ORDER_FORMAT, DataOrder, Windows
from gemeingut.model.energy import extrapolated
from gemeingut.model.flops import Peak, counted_flops_per_token
from gemeingut.model.machine import hardware
from gemeingut.model.presets import build_config as preset_config
from gemeingut.model.tokenizer import IM_END, save_tokenizer
from gemeingut.model.training_log import LOG_FILE, read_records
from gemeingut.recipe import ModelSection, TrainingSection

if TYPE_CHECKING:
    from gemeingut.model.pretrain import Engine, Progress

SNAPSHOT_DIR = "snapshots"  # weights at every `snapshot_every` steps, beside the final model
OOM_HINT = _("lower batch_size or seq_len, or raise grad_accumulation")


def build_config(section: ModelSection, tokenizer: PreTrainedTokenizerBase) -> LlamaConfig:
    """The preset with overrides; refuses a vocabulary smaller than the tokenizer's."""
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    vocab = len(tokenizer)
    config = preset_config(
        section.preset, section.overrides, vocab, section.training.seq_len, special
    )
    if config.vocab_size < vocab:
        raise InputError(
            _(
                "model.overrides.vocab_size = {size} is smaller than the tokenizer's vocabulary "
                "of {vocab} tokens: its ids {size}..{last} would have no embedding",
                size=str(config.vocab_size),
                vocab=str(vocab),
                last=str(vocab - 1),
            ),
            _(
                "remove the vocab_size override or set it to at least {vocab} (a multiple of 64 "
                "is fastest), or train the tokenizer with a smaller vocab_size",
                vocab=str(vocab),
            ),
        )
    if config.max_position_embeddings < section.training.seq_len:
        raise InputError(
            _(
                "model.overrides.max_position_embeddings = {positions} is shorter than "
                "model.training.seq_len = {seq_len}",
                positions=str(config.max_position_embeddings),
                seq_len=str(section.training.seq_len),
            ),
            _("remove the override or lower seq_len"),
        )
    return config


@contextmanager
def out_of_memory_as_input_error(
    cfg: TrainingSection, device: torch.device, world_size: int
) -> Iterator[None]:
    """An allocation failure becomes a message with the three settings that fix it."""
    try:
        yield
    except torch.OutOfMemoryError as exc:
        raise _oom_error(cfg, device, world_size) from exc
    except RuntimeError as exc:
        text = str(exc).lower()
        if any(s in text for s in ("can't allocate memory", "not enough memory", "out of memory")):
            raise _oom_error(cfg, device, world_size) from exc
        raise


def _oom_error(cfg: TrainingSection, device: torch.device, world_size: int) -> InputError:
    global_batch = cfg.batch_size * cfg.grad_accumulation * world_size
    return InputError(
        _(
            "out of memory on {device} with micro-batches of batch_size {batch_size} × seq_len "
            "{seq_len} tokens (global batch {global_batch} sequences)",
            device=str(device),
            batch_size=str(cfg.batch_size),
            seq_len=str(cfg.seq_len),
            global_batch=str(global_batch),
        ),
        _(
            "{hint} (the global batch stays the same when batch_size halves and "
            "grad_accumulation doubles)",
            hint=OOM_HINT,
        ),
    )


def restore(engine: Engine, state: dict[str, Any] | None) -> tuple[int, int, dict[str, Any]]:
    """Load rank 0's checkpoint (None: fresh start) into every rank.

    Returns (step, windows consumed, progress).
    """
    world = engine.world
    info = None if state is None else {k: state[k] for k in ("step", "rng", "progress", "data")}
    info = dist.broadcast_object(info, world)
    if info is None:
        return 0, 0, {}
    states = (state["model"], state["optimizer"]) if state else None  # rank 0 holds them
    load_states(engine.raw, engine.optimizer, states, world)
    rng = info["rng"]
    mine = world.rank if len(rng["cpu"]) == world.size else 0
    torch.set_rng_state(rng["cpu"][mine])
    if engine.device.type == "cuda" and rng["cuda"]:
        torch.cuda.set_rng_state(rng["cuda"][mine], engine.device)
    return int(info["step"]), int(info["data"]["windows_consumed"]), info["progress"]


def load_states(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    states: tuple[dict[str, Any], dict[str, Any]] | None,
    world: dist.World,
    strict: bool = True,
) -> None:
    """Rank 0's model and optimizer states (from the checkpoint it alone read; None on the
    other ranks) into every rank's model and optimizer, by torch's state-dict utilities: they
    send each tensor from rank 0, so a large checkpoint is never pickled whole. The optimizer's
    state is keyed by parameter name (`get_optimizer_state_dict`). Not `strict`, the model's
    state may name only some of its parameters (those fine-tuning trains), but none it lacks."""
    options = StateDictOptions(
        full_state_dict=True, broadcast_from_rank0=world.size > 1, strict=strict
    )
    model_state, optimizer_state = states or ({}, {})
    # Two calls: `set_state_dict` would skip the model on ranks whose (empty) model dict it sees.
    loaded = set_model_state_dict(model, model_state, options=options)
    if loaded.unexpected_keys:
        raise RuntimeError(f"the checkpoint holds parameters the model lacks: {loaded}")
    set_optimizer_state_dict(model, optimizer, optimizer_state, options=options)


def gather_rng(device: torch.device, world: dist.World) -> dict[str, list[torch.Tensor]]:
    """Every rank's RNG states (for a checkpoint rank 0 writes); a collective: all ranks call."""
    cuda = device.type == "cuda"
    return {
        "cpu": dist.gather_objects(torch.get_rng_state(), world),
        "cuda": dist.gather_objects(torch.cuda.get_rng_state(device), world) if cuda else [],
    }


def checkpoint(
    engine: Engine,
    folder: Path,
    step: int,
    position: int,
    order: DataOrder,
    cfg: TrainingSection,
    wall: float,
) -> None:
    """Every rank takes part (FSDP gathers shards); rank 0 writes."""
    world = engine.world
    model_state, optim_state = get_state_dict(
        engine.raw,
        engine.optimizer,
        options=StateDictOptions(full_state_dict=True, cpu_offload=True),
    )
    rng = gather_rng(engine.device, world)
    if not world.is_main:
        return
    state = {
        "step": step,
        "model": model_state,
        "optimizer": optim_state,
        "rng": rng,
        "data": {
            "seed": order.seed,
            "n_windows": order.n_windows,
            "global_batch": order.global_batch,
            "windows_consumed": position,
            "epoch": order.epoch_at(position),
        },
        "progress": {"wall_seconds": wall, "world_size": world.size},
    }
    save_checkpoint(folder, step, state, cfg.keep_checkpoints)


def save_snapshot(engine: Engine, folder: Path, step: int) -> None:
    """The weights alone at `step` as `step-NNNNNNN.safetensors` (every rank takes part, rank
    0 writes): what the model was along the way, for anyone who studies training dynamics."""
    from safetensors.torch import save_file

    state = get_model_state_dict(
        engine.raw, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    if not engine.world.is_main:
        return
    seen: set[int] = set()
    unique = {}
    for name, tensor in state.items():  # tied weights share storage: store them once
        if tensor.data_ptr() not in seen:
            seen.add(tensor.data_ptr())
            unique[name] = tensor.contiguous()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:07d}.safetensors"
    tmp = folder / f".{name}.tmp"
    # One metadata key: safetensors writes several in no fixed order, and equal weights must
    # give equal bytes (the step is in the file name).
    save_file(unique, str(tmp), metadata={"format": "pt"})
    tmp.replace(folder / name)


def save_model(
    engine: Engine, config: LlamaConfig, tokenizer: PreTrainedTokenizerBase, out_dir: Path
) -> bool:
    """A Hugging Face directory on rank 0: config, safetensors, tokenizer, generation config."""
    sharded = any(hasattr(p, "full_tensor") for p in engine.raw.parameters())
    if sharded:  # FSDP: gather the full weights (every rank takes part) into a CPU model
        state = get_model_state_dict(
            engine.raw, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
        )
        if not engine.world.is_main:
            return False
        model = LlamaForCausalLM(config)
        model.load_state_dict(state)
    elif not engine.world.is_main:
        return False
    else:
        model = engine.raw.to("cpu")
    stop_ids = [tokenizer.eos_token_id]
    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    if im_end is not None and im_end != tokenizer.unk_token_id:
        stop_ids.append(im_end)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=stop_ids,
        pad_token_id=tokenizer.pad_token_id,
        max_length=config.max_position_embeddings,
    )
    model.save_pretrained(str(out_dir), safe_serialization=True)
    save_tokenizer(tokenizer, out_dir)
    return True


def write_metadata(
    path: Path,
    *,
    section: ModelSection,
    config: LlamaConfig,
    parameters: int,
    train: Windows,
    val: Windows,
    order: DataOrder,
    engine: Engine,
    run: Progress,
    start_step: int,
    initial_val: float,
    final_val: float,
    flops_per_token: int,
    peak: Peak,
    energy: dict[str, Any],
    dataset_dir: Path,
) -> dict[str, Any]:
    """`training.json` for the release; returns the artifact's stats."""
    cfg = section.training
    tokens_seen = run.position * cfg.seq_len
    counted = counted_flops_per_token(config, cfg.seq_len)
    this_run_tokens = run.steps * order.global_batch * cfg.seq_len
    tokens_per_s = this_run_tokens / run.train_seconds if run.train_seconds else 0.0
    records = read_records(path.parent / LOG_FILE)
    step_rates = [r["tokens_per_s"] for r in records if "tokens_per_s" in r]
    this_run = time_since(run)
    wall = this_run + run.earlier_seconds
    if run.earlier_seconds:
        energy = {**energy, **extrapolated(energy, wall)}
    stats = {
        "parameters": parameters,
        "train_windows": len(train),
        "validation_windows": len(val),
        "tokens_seen": tokens_seen,
        "flops_6nd": 6 * parameters * tokens_seen,
        "flops_model": flops_per_token * tokens_seen,
        "flops_counted": counted * tokens_seen,
        "initial_val_loss": initial_val,
        "final_val_loss": final_val,
        "wall_seconds_this_run": round(this_run, 3),
        "wall_seconds_total": round(wall, 3),
        "resumed_from_step": start_step,
        "global_batch_size": order.global_batch,
        "world_size": engine.world.size,
        "device": engine.device.type,
        "precision": engine.precision,
        "tokens_per_s": round(tokens_per_s, 1),
        "mfu": round(flops_per_token * tokens_per_s / (peak.flops_per_s * engine.world.size), 4),
        "energy_kwh": energy.get("kwh_total_extrapolated", energy["kwh_this_run"]),
        "energy_method": energy.get("method"),
    }
    checkpoints = read_index(path.parent / CHECKPOINT_DIR)
    metadata = {
        "architecture": "LlamaForCausalLM",
        "preset": section.preset,
        "config": config.to_dict(),
        "training": cfg.model_dump(mode="json"),
        "seeds": {"model_init": cfg.seed, "data_order": cfg.seed},
        "optimizer": {
            "name": "AdamW",
            "betas": [0.9, 0.95],
            "weight_decay": cfg.weight_decay,
            "no_weight_decay": "parameters with fewer than 2 dimensions (norm weights)",
            "schedule": "linear warm-up, cosine decay to min_lr_ratio",
            "grad_clip": cfg.grad_clip,
        },
        "batch": {
            "micro_batch": cfg.batch_size,
            "grad_accumulation": cfg.grad_accumulation,
            "world_size": engine.world.size,
            "global_batch": order.global_batch,
            "tokens_per_step": order.global_batch * cfg.seq_len,
        },
        "data_order": {
            **ORDER_FORMAT,
            "seed": order.seed,
            "train_windows": len(train),
            "epochs_seen": tokens_seen / (len(train) * cfg.seq_len),
            "shards": {
                name: "sha256:" + sha256_file(dataset_dir / "shards" / name)
                for name in train.shards
            },
            "validation": "the first eval_batches × global batch = "
            f"{min(len(val), cfg.eval_batches * order.global_batch)} "
            "validation windows, in stored order",
        },
        "distributed": {"world_size": engine.world.size, "strategy": cfg.strategy},
        "device": engine.device.type,
        "precision": engine.precision,
        "compile": cfg.compile,
        "hardware": hardware(engine.device, engine.world.size),
        "flops": {
            "flops_6nd": stats["flops_6nd"],
            "model_flops_per_token": flops_per_token,
            "model_flops_method": "6·N + 12·L·d·T per token (PaLM appendix B)",
            "model_flops_total": stats["flops_model"],
            "counted_flops_per_token": counted,
            "counted_flops_method": "torch.utils.flop_counter.FlopCounterMode over one forward "
            "and backward pass on the meta device",
            "counted_flops_total": stats["flops_counted"],
            "peak_flops_per_s": peak.flops_per_s,
            "peak_method": peak.method,
            "mfu": stats["mfu"],
            "mfu_median_step": _median_mfu(step_rates, flops_per_token, peak, engine.world.size),
        },
        "throughput": {"tokens_per_s": stats["tokens_per_s"], "steps_this_run": run.steps},
        "wall_seconds": {
            "this_run": stats["wall_seconds_this_run"],
            "total": stats["wall_seconds_total"],
        },
        "energy": energy,
        "checkpoints": {str(step): entry["sha256"] for step, entry in checkpoints.items()},
        "snapshots": {
            snapshot.name: "sha256:" + sha256_file(snapshot)
            for snapshot in sorted((path.parent / SNAPSHOT_DIR).glob("step-*.safetensors"))
        },
        "stats": stats,
    }
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return stats


def time_since(run: Progress) -> float:
    return time.perf_counter() - run.started


def _median_mfu(rates: list[float], flops_per_token: int, peak: Peak, devices: int) -> float:
    if not rates:
        return 0.0
    return round(flops_per_token * statistics.median(rates) / (peak.flops_per_s * devices), 4)
