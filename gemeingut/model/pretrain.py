"""Pretrain a Llama-family model from scratch: the whole loop on one screen, nanoGPT style.

One code path from a 1M-parameter model on two CPU cores to a 1B model on GPUs: the device,
number format, gradient accumulation, torch.compile and DDP/FSDP under torchrun are settings.
The data order is one global permutation of windows per epoch (`data_order.py`), so a resumed
run, or a run on more devices, sees the same sequence of batches. Checkpoints carry model,
optimizer, data position and RNG states; after a crash (even `kill -9`) the stage resumes from
the newest one and repeats the same loss curve.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn
from transformers import AutoTokenizer, LlamaForCausalLM

from gemeingut.i18n import _, text
from gemeingut.model import distributed as dist
from gemeingut.model.attention import use_for_training
from gemeingut.model.checkpoints import CHECKPOINT_DIR, load_latest
from gemeingut.model.data_order import (
    ORDER_DIR,
    STEPS_FILE,
    WINDOWS_FILE,
    DataOrder,
    Windows,
    pack_split,
    rank_micro_batches,
    write_windows_table,
)
from gemeingut.model.energy import EnergyMeter
from gemeingut.model.flops import measured_peak, model_flops_per_token
from gemeingut.model.loss import CausalLMLoss
from gemeingut.model.machine import autocast, compute_dtype, resolve_device, resolve_precision
from gemeingut.model.run_state import (
    SNAPSHOT_DIR,
    build_config,
    checkpoint,
    out_of_memory_as_input_error,
    restore,
    save_model,
    save_snapshot,
    write_metadata,
)
from gemeingut.model.token_file import TOKEN_DIR, tokenize_split
from gemeingut.model.training_log import (
    LOG_FILE,
    JsonlLog,
    Rate,
    StepClock,
    StepRecords,
    logged_val_losses,
)
from gemeingut.progress import progress_bar
from gemeingut.recipe import ModelSection, TrainingSection

__all__ = [
    "CHECKPOINT_DIR",
    "LOG_FILE",
    "METADATA_FILE",
    "adamw",
    "follow_pretrain",
    "lr_at",
    "pretrain",
    "to_device",
    "with_threads",
]

METADATA_FILE = "training.json"
R = TypeVar("R")


def lr_at(step: int, cfg: TrainingSection) -> float:
    """Linear warm-up, then cosine decay to `min_lr_ratio` of the peak."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.learning_rate * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def pretrain(
    dataset_dir: Path, tokenizer_dir: Path, section: ModelSection, out_dir: Path
) -> dict[str, Any]:
    """Train, checkpoint, and save a Hugging Face model directory into `out_dir`.

    Under torchrun this runs on rank 0 (inside `materialize`), which first tells the other
    ranks to join with the same job.
    """
    world = dist.current_world()
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    for split in ("train", "validation"):  # once, before any other rank starts
        tokenize_split(dataset_dir, split, tokenizer, out_dir / TOKEN_DIR)
    if world.size > 1:
        job = {"dataset": str(dataset_dir), "tokenizer": str(tokenizer_dir), "out": str(out_dir)}
        dist.announce({"job": "pretrain", **job, "section": section.model_dump(mode="json")})
    return with_threads(
        section.training.threads,
        lambda: _train(dataset_dir, tokenizer_dir, section, out_dir, world),
    )


def follow_pretrain(message: dict[str, Any]) -> None:
    """A follower rank's part of the leader's job: train its share, write nothing."""
    section = ModelSection.model_validate(message["section"])
    world = dist.current_world()
    paths = [Path(message[key]) for key in ("dataset", "tokenizer", "out")]
    with_threads(section.training.threads, lambda: _train(*paths[:2], section, paths[2], world))


def with_threads(threads: int, run: Callable[[], R]) -> R:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return run()
    finally:
        torch.set_num_threads(before)


@dataclass
class Engine:
    """What a training step needs: the model in its three roles, optimizer, device, format."""

    raw: LlamaForCausalLM  # the model itself (state dicts, saving; FSDP shards it in place)
    loss: CausalLMLoss  # raw plus its loss (evaluation)
    model: nn.Module  # loss, or loss wrapped in DDP (what a training step calls)
    forward: Callable[..., Any]  # model, or torch.compile(model)
    optimizer: torch.optim.Optimizer
    device: torch.device
    precision: str
    world: dist.World
    grad_clip: float

    def autocast(self) -> Any:
        return autocast(self.device, self.precision)


@dataclass
class Progress:
    """Running totals of this process's run, for the log and the metadata."""

    started: float = field(default_factory=time.perf_counter)
    train_seconds: float = 0.0
    steps: int = 0
    position: int = 0  # windows consumed since the first step (all runs)
    earlier_seconds: float = 0.0  # wall time of earlier (interrupted) runs, from the checkpoint


def _train(
    dataset_dir: Path, tokenizer_dir: Path, section: ModelSection, out_dir: Path, world: dist.World
) -> dict[str, Any]:
    cfg = section.training
    run = Progress()
    energy = EnergyMeter(cpu_threads=cfg.threads * world.size, gpus=_gpus(world, cfg.device))
    if world.is_main:
        energy.start()
    try:
        return _train_measured(dataset_dir, tokenizer_dir, section, out_dir, world, run, energy)
    finally:
        energy.close()


def _train_measured(
    dataset_dir: Path,
    tokenizer_dir: Path,
    section: ModelSection,
    out_dir: Path,
    world: dist.World,
    run: Progress,
    energy: EnergyMeter,
) -> dict[str, Any]:
    cfg = section.training
    device = resolve_device(cfg.device, world.local_rank)
    precision = resolve_precision(cfg.precision, device)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    train = pack_split(out_dir / TOKEN_DIR, "train", cfg.seq_len, dataset_dir)
    val = pack_split(out_dir / TOKEN_DIR, "validation", cfg.seq_len, dataset_dir)
    config = build_config(section, tokenizer)
    torch.manual_seed(cfg.seed)
    raw = LlamaForCausalLM(config)  # initialised on the CPU: the same weights on any device
    parameters = sum(p.numel() for p in raw.parameters())
    raw.to(device)
    use_for_training(raw, device)
    sharded = cfg.strategy == "fsdp" and world.size > 1
    loss = CausalLMLoss(raw, fused=not (sharded or cfg.compile))
    model = dist.wrap(raw, loss, world, device, cfg.strategy)
    engine = Engine(
        raw=raw,
        loss=loss,
        model=model,
        forward=torch.compile(model) if cfg.compile else model,
        optimizer=adamw(list(raw.parameters()), cfg, fused=not sharded),
        device=device,
        precision=precision,
        world=world,
        grad_clip=cfg.grad_clip,
    )
    engine.model.train()
    order = DataOrder(len(train), cfg.seed, cfg.batch_size * cfg.grad_accumulation * world.size)
    folder = out_dir / CHECKPOINT_DIR
    state = load_latest(folder) if world.is_main else None
    start_step, position, progress_info = restore(engine, state)
    run.earlier_seconds = progress_info.get("wall_seconds", 0.0)
    run.position = position
    leader = world.is_main
    log = JsonlLog(out_dir / LOG_FILE, start_step) if leader else None
    steps_log = JsonlLog(out_dir / ORDER_DIR / STEPS_FILE, start_step) if leader else None
    if leader and not (out_dir / ORDER_DIR / WINDOWS_FILE).exists():
        write_windows_table(train, out_dir / ORDER_DIR / WINDOWS_FILE)
    with out_of_memory_as_input_error(cfg, device, world.size):
        if start_step == 0:
            initial_val = _validation_loss(engine, val, cfg, order.global_batch)
            if log:
                log.write({"step": 0, "val_loss": initial_val})
            val_loss = initial_val
        else:  # resumed: the latest validation logged, not step 0's, is where it stands
            first, latest = logged_val_losses(out_dir / LOG_FILE) if leader else (None, None)
            initial_val = math.nan if first is None else first
            val_loss = math.nan if latest is None else latest
        flops_per_token = model_flops_per_token(config, parameters, cfg.seq_len)
        peak = measured_peak(device, compute_dtype(precision)) if leader else None
        steps = text(_("steps"))
        bar = (
            progress_bar(text(_("pretraining")), total=cfg.steps, unit=steps)
            if leader
            else nullcontext()
        )
        with bar as advance:
            clock = StepClock(device)
            rate = Rate(order.global_batch * cfg.seq_len, flops_per_token, peak, world.size)
            records = StepRecords(log, advance, clock, rate)
            records.advance(start_step)
            for step in range(start_step, cfg.steps):
                lr = lr_at(step, cfg)
                for group in engine.optimizer.param_groups:
                    group["lr"] = lr
                indices = order.batch_at(run.position)
                shares = rank_micro_batches(indices, world.rank, world.size, cfg.grad_accumulation)
                started = clock.mark()
                loss, grad_norm = _train_step(engine, [train.rows(s) for s in shares])
                numbers, finished = clock.to_host(loss=loss, grad_norm=grad_norm)
                if steps_log:
                    epoch = order.epoch_at(run.position)
                    steps_log.write({"step": step + 1, "epoch": epoch, "windows": indices.tolist()})
                run.steps += 1
                run.position += order.global_batch
                record = {"step": step + 1, "lr": lr, "tokens_seen": run.position * cfg.seq_len}
                if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
                    val_loss = record["val_loss"] = _validation_loss(
                        engine, val, cfg, order.global_batch
                    )
                records.add(record, numbers, (started, finished), val_loss)
                if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                    records.flush()
                    wall = run.earlier_seconds + time.perf_counter() - run.started
                    checkpoint(engine, folder, step + 1, run.position, order, cfg, wall)
                every = section.snapshot_every
                if every and ((step + 1) % every == 0 or step + 1 == cfg.steps):
                    save_snapshot(engine, out_dir / SNAPSHOT_DIR, step + 1)
            records.flush()
            run.train_seconds = records.seconds
        energy_record = energy.stop() if leader else {}
    for handle in (log, steps_log):
        if handle:
            handle.close()
    full_model_saved = save_model(engine, config, tokenizer, out_dir)
    if not leader:
        return {}
    shutil.rmtree(out_dir / TOKEN_DIR)  # a cache of the dataset: not part of the model
    assert full_model_saved and peak is not None
    return write_metadata(
        out_dir / METADATA_FILE,
        section=section,
        config=config,
        parameters=parameters,
        train=train,
        val=val,
        order=order,
        engine=engine,
        run=run,
        start_step=start_step,
        initial_val=initial_val,
        final_val=val_loss,
        flops_per_token=flops_per_token,
        peak=peak,
        energy=energy_record,
        dataset_dir=dataset_dir,
    )


def _gpus(world: dist.World, requested: str) -> int:
    """GPUs this run will use (for the energy estimate)."""
    return world.size if requested != "cpu" and torch.cuda.is_available() else 0


def adamw(
    parameters: list[nn.Parameter], cfg: TrainingSection, fused: bool
) -> torch.optim.Optimizer:
    """AdamW, no weight decay on norms; fused kernels where they exist (one pass per step)."""
    decay = [p for p in parameters if p.dim() >= 2]
    no_decay = [p for p in parameters if p.dim() < 2]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.learning_rate,
        betas=(0.9, 0.95),
        **({"fused": True} if fused else {"foreach": True}),
    )


def _train_step(engine: Engine, batches: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step over this rank's micro-batches; returns (mean loss, grad norm) as
    tensors, so nothing waits for the device here (the model is in training mode: set once,
    and again after each evaluation; setting it every step costs a walk over all modules)."""
    total = torch.zeros((), device=engine.device)
    for i, batch in enumerate(batches):
        batch = to_device(batch, engine.device)
        with dist.gradient_sync(engine.model, i == len(batches) - 1), engine.autocast():
            loss = engine.forward(batch[:, :-1], batch[:, 1:])
        (loss / len(batches)).backward()
        total += loss.detach()
    grad_norm = torch.nn.utils.clip_grad_norm_(engine.raw.parameters(), engine.grad_clip)
    if hasattr(grad_norm, "full_tensor"):  # FSDP: a DTensor
        grad_norm = grad_norm.full_tensor()
    engine.optimizer.step()
    engine.optimizer.zero_grad(set_to_none=True)
    return dist.mean_over_ranks(total / len(batches), engine.world), grad_norm.detach()


def to_device(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Pinned, then copied without blocking: a copy from pageable memory would make the host
    wait for the GPU every step."""
    if device.type == "cuda":
        batch = batch.pin_memory().to(device, non_blocking=True)
    return batch.long()


@torch.no_grad()
def _validation_loss(
    engine: Engine, val: Windows, cfg: TrainingSection, global_batch: int
) -> float:
    """Mean loss over the first `eval_batches` global batches of the validation windows, in
    stored order: the same windows whatever the number of devices or micro-batches.

    Each rank evaluates its share of every batch in micro-batches, like in training; a rank
    whose share is empty still runs the forward (weighted 0): FSDP needs every rank in each.
    """
    engine.raw.eval()
    world = engine.world
    total = torch.zeros(2, dtype=torch.float64, device=engine.device)  # loss sum, token count
    for i in range(min(cfg.eval_batches, math.ceil(len(val) / global_batch))):
        indices = torch.arange(i * global_batch, (i + 1) * global_batch)
        for micro in rank_micro_batches(indices, world.rank, world.size, cfg.grad_accumulation):
            micro = micro[micro < len(val)]
            weight = 1.0 if len(micro) else 0.0
            batch = val.rows(micro if len(micro) else [0]).to(engine.device)
            with engine.autocast():
                mean = engine.loss(batch[:, :-1], batch[:, 1:])
            tokens = weight * batch[:, 1:].numel()
            total[0] += mean.double() * tokens
            total[1] += tokens
    total = dist.sum_over_ranks(total, world)
    engine.model.train()
    return float(total[0].item() / total[1].item())
