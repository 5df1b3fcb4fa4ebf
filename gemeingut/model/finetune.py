"""Fine-tune a base model on one's own data: LoRA adapters (default) or all weights.

The loop is pretraining's (AdamW, warm-up + cosine, clipping, accumulation, autocast, the same
data order, log and checkpoints) on a model loaded from a local folder instead of built from a
preset, with the loss on trained tokens only (`finetune_data.py`). Checkpoints hold only what
trains (the adapters, or all weights in full fine-tuning) with optimizer, data position and RNG
state, so a run killed at any point resumes on the same loss curve.

Under `torchrun` it trains with DDP as pretraining does (`distributed.py`): rank 0 leads and
alone writes. It packs the data (`finetune_windows.py`) before it starts the followers, which
only map its finished token files. Every rank takes its contiguous share of each global batch,
so W processes train on the same batches, in the same order, as one process with the same
global batch, and validate on the same windows. The loss stays the mean over all answer tokens
of the global batch: each rank's counts differ, so the count is summed over ranks before any
gradient is computed. Each rank draws its own dropout masks, so only without dropout (LoRA's
default is 0.05) do W processes give the very weights of one. A model too large for one device
(FSDP) is not supported yet.

The result is a LoRA adapter (adapter_config.json + adapter_model.safetensors, loadable with
peft on top of the base), or with `merge` / full fine-tuning a standalone model folder that
`transformers` loads; `finetune.json` names the base model (licence, card, fingerprint) and the
data, and records the run's energy, for the release.
"""

from __future__ import annotations

import math
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.model import distributed as dist
from gemeingut.model.attention import use_for_training
from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.checkpoints import CHECKPOINT_DIR, load_latest
from gemeingut.model.data_order import DataOrder, rank_micro_batches
from gemeingut.model.energy import EnergyMeter
from gemeingut.model.finetune_base_licence import with_lineage_licence
from gemeingut.model.finetune_base_reference import named_by_hub_id
from gemeingut.model.finetune_data_licence import (
    check_data_attribution,
    refuse_contradicted_licence,
)
from gemeingut.model.finetune_licence_text import copy_base_licence
from gemeingut.model.finetune_state import (
    DATA_DIR,
    checkpoint,
    curated_copies,
    keep_data,
    restore,
    save,
    write_metadata,
)
from gemeingut.model.finetune_windows import TrainingWindows, make_windows, open_windows
from gemeingut.model.loading import FINETUNE_FILE, load_tokenizer, pretrained_model
from gemeingut.model.lora import add_adapters
from gemeingut.model.loss import AnswerLoss
from gemeingut.model.machine import autocast, resolve_device, resolve_precision
from gemeingut.model.pretrain import adamw, lr_at, to_device, with_threads
from gemeingut.model.run_state import out_of_memory_as_input_error
from gemeingut.model.token_file import TOKEN_DIR
from gemeingut.model.training_log import (
    LOG_FILE,
    JsonlLog,
    Rate,
    StepClock,
    StepRecords,
    logged_val_losses,
)
from gemeingut.progress import progress_bar
from gemeingut.recipe import FinetuneSection, FinetuneTraining

__all__ = [
    "DATA_DIR",
    "LOG_FILE",
    "curated_copies",
    "finetune",
    "follow_finetune",
]


@dataclass
class Tuner:
    """The model being tuned and what a step needs."""

    lm: nn.Module  # the causal LM (with adapters injected, under LoRA)
    base_parameters: int  # before adapters
    base_dtype: str  # of the frozen (LoRA) or trained (full) base weights
    wrapper: Any  # the peft model under LoRA, else the LM
    loss: AnswerLoss  # the LM plus its loss (evaluation)
    model: nn.Module  # loss, or loss wrapped in DDP (what a training step calls)
    forward: Any  # model, or torch.compile(model)
    trainable: dict[str, nn.Parameter]
    optimizer: torch.optim.Optimizer
    device: torch.device
    precision: str
    grad_clip: float
    world: dist.World

    def autocast(self) -> Any:
        return autocast(self.device, self.precision)


def finetune(
    base: BaseModelFacts, data: Path, section: FinetuneSection, out_dir: Path
) -> dict[str, Any]:
    """Train and save the fine-tuned model (or adapter) into `out_dir`; returns its stats.

    Under torchrun this runs on rank 0 (inside `materialize`), which tells the other ranks to
    join once the data is ready. Our own base's licence is recorded from its lineage.
    """
    check_data_attribution(section)
    refuse_contradicted_licence(section)
    base = named_by_hub_id(with_lineage_licence(base))
    world = dist.current_world()
    if world.size > 1 and section.training.strategy != "ddp":
        raise InputError(
            _(
                "finetune.training.strategy = '{strategy}': fine-tuning under torchrun runs DDP "
                "only (a full copy of the model per device)",
                strategy=section.training.strategy,
            ),
            _(
                "set finetune.training.strategy = 'ddp', or use LoRA or fewer devices if the "
                "model does not fit on one"
            ),
        )
    return with_threads(
        section.training.threads, lambda: _finetune(base, data, section, out_dir, world, None)
    )


def follow_finetune(message: dict[str, Any]) -> None:
    """A follower rank's part of the leader's job: train its share, write nothing."""
    base = BaseModelFacts(**message["base"])
    section = FinetuneSection.model_validate(message["section"])
    data, out_dir = Path(message["data"]), Path(message["out"])
    world, layouts = dist.current_world(), message["windows"]
    with_threads(
        section.training.threads, lambda: _finetune(base, data, section, out_dir, world, layouts)
    )


def _finetune(
    base: BaseModelFacts,
    data: Path,
    section: FinetuneSection,
    out_dir: Path,
    world: dist.World,
    layouts: dict[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """The run measured as pretraining measures its own (`energy.py`): the leader's meter
    counts every process's threads and GPUs, from the data's packing to the last step."""
    device = resolve_device(section.training.device, world.local_rank)
    gpus = world.size if device.type == "cuda" else 0
    energy = EnergyMeter(cpu_threads=section.training.threads * world.size, gpus=gpus)
    if world.is_main:
        energy.start()
    try:
        return _tune(base, data, section, out_dir, world, layouts, device, energy)
    finally:
        energy.close()


def _tune(
    base: BaseModelFacts,
    data: Path,
    section: FinetuneSection,
    out_dir: Path,
    world: dist.World,
    layouts: dict[str, dict[str, Any]] | None,
    device: torch.device,
    energy: EnergyMeter,
) -> dict[str, Any]:
    """The leader (`layouts` None) packs the data, then starts the followers, which map its
    finished token files by the `layouts` it sent (nothing is read or packed twice)."""
    started = time.perf_counter()
    leader = world.is_main
    precision = resolve_precision(section.training.precision, device)
    tokenizer = load_tokenizer(Path(base.path))
    tokens = out_dir / TOKEN_DIR
    if layouts is None:
        train, val = make_windows(data, section, tokenizer, tokens)
        if world.size > 1:  # the token files are complete (written, then renamed)
            layouts = {"train": train.layout(), "validation": val.layout()}
            dist.announce(_job(base, data, section, out_dir, layouts))
    else:
        train = open_windows(tokens, layouts["train"])
        val = open_windows(tokens, layouts["validation"])
    global_batch = section.training.batch_size * section.training.grad_accumulation * world.size
    cfg = _schedule(section, len(train), global_batch)
    tuner = _tuner(base, section, cfg, tokenizer, device, precision, world)
    order = DataOrder(len(train), cfg.seed, global_batch)
    folder = out_dir / CHECKPOINT_DIR
    start_step, position, earlier = restore(tuner, load_latest(folder) if leader else None)
    log = JsonlLog(out_dir / LOG_FILE, start_step) if leader else None
    with out_of_memory_as_input_error(cfg, device, world.size):
        if start_step == 0:
            initial_val = val_loss = _validation_loss(tuner, val, cfg)
            if log:
                log.write({"step": 0, "val_loss": initial_val})
        else:  # the latest logged validation loss (the final one if no step is left to run)
            initial_val, val_loss = (
                logged_val_losses(out_dir / LOG_FILE) if leader else (None, None)
            )
        evaluates = len(val) > 0
        steps = text(_("steps"))
        bar = (
            progress_bar(text(_("fine-tuning")), total=cfg.steps, unit=steps)
            if leader
            else nullcontext()
        )
        with bar as advance:
            clock = StepClock(device)
            rate = Rate(global_batch * cfg.seq_len, 0, None, world.size)
            records = StepRecords(log, advance, clock, rate)
            records.advance(start_step)
            for step in range(start_step, cfg.steps):
                lr = lr_at(step, cfg)
                for group in tuner.optimizer.param_groups:
                    group["lr"] = lr
                indices = order.batch_at(position)
                shares = rank_micro_batches(indices, world.rank, world.size, cfg.grad_accumulation)
                mark = clock.mark()
                loss, grad_norm, answer_tokens = _step(tuner, train, shares)
                numbers, finished = clock.to_host(loss=loss, grad_norm=grad_norm)
                position += global_batch
                record = {"step": step + 1, "lr": lr, "answer_tokens": answer_tokens}
                if evaluates and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
                    val_loss = record["val_loss"] = _validation_loss(tuner, val, cfg)
                records.add(record, numbers, (mark, finished), _nan_if_none(val_loss))
                if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                    records.flush()
                    wall = earlier + time.perf_counter() - started
                    checkpoint(tuner, folder, step + 1, position, order, cfg, wall)
            records.flush()
        measured = energy.stop() if leader else {}
    if log is None:  # a follower: the leader saves
        return {}
    log.close()
    # The packed data or a curated dataset's token files: a cache, not part of the result.
    shutil.rmtree(tokens, ignore_errors=True)
    output = save(tuner, section, base, tokenizer, out_dir)
    copy_base_licence(base, out_dir)  # the base's own terms go with the fine-tune
    keep_data(data, section.validation, out_dir / DATA_DIR)
    return write_metadata(
        out_dir / FINETUNE_FILE,
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
        energy=measured,
    )


def _schedule(section: FinetuneSection, windows: int, global_batch: int) -> FinetuneTraining:
    """The training settings with steps (from epochs) and warm-up resolved."""
    cfg = section.training
    if section.epochs is not None:
        steps = max(1, math.ceil(section.epochs * windows / global_batch))
        cfg = cfg.model_copy(update={"steps": steps})
    if cfg.warmup_steps is None:
        cfg = cfg.model_copy(update={"warmup_steps": cfg.steps // 10})
    elif cfg.warmup_steps >= cfg.steps:
        raise InputError(
            _(
                "warmup_steps = {warmup} is not shorter than the {steps} training steps: the "
                "learning rate would never reach its peak",
                warmup=str(cfg.warmup_steps),
                steps=str(cfg.steps),
            ),
            _("lower warmup_steps, or raise steps (or epochs)"),
        )
    return cfg


def _job(
    base: BaseModelFacts,
    data: Path,
    section: FinetuneSection,
    out_dir: Path,
    layouts: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The message that starts `follow_finetune` on the other ranks."""
    return {
        "job": "finetune",
        "base": base.record(),
        "data": str(data),
        "section": section.model_dump(mode="json"),
        "out": str(out_dir),
        "windows": layouts,  # how to map the packed data
    }


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def _tuner(
    base: BaseModelFacts,
    section: FinetuneSection,
    cfg: FinetuneTraining,
    tokenizer: PreTrainedTokenizerBase,
    device: torch.device,
    precision: str,
    world: dist.World,
) -> Tuner:
    torch.manual_seed(cfg.seed)
    # LoRA leaves the base frozen: in bf16 it needs half the memory (the adapters stay fp32,
    # peft's default); full fine-tuning keeps fp32 master weights for the optimizer.
    frozen_bf16 = section.method == "lora" and precision == "bf16"
    lm = pretrained_model(Path(base.path), torch.bfloat16 if frozen_bf16 else torch.float32)
    embeddings = lm.get_input_embeddings().num_embeddings
    if len(tokenizer) > embeddings:
        raise InputError(
            _(
                "vocabulary mismatch: the tokenizer in {path} has {tokens} tokens but the model "
                "embeds only {embeddings}",
                path=base.path,
                tokens=str(len(tokenizer)),
                embeddings=str(embeddings),
            ),
            _("use the tokenizer that belongs to the model (the files from the same folder)"),
        )
    wrapper = lm
    base_parameters = sum(p.numel() for p in lm.parameters())
    if section.method == "lora":
        lora = section.lora
        wrapper = add_adapters(lm, lora.rank, lora.alpha, lora.dropout, lora.target_modules)
    if cfg.activation_checkpointing:  # non-reentrant: frozen inputs need no requires_grad
        lm.activation_checkpointing_enable({"use_reentrant": False})
    lm.to(device)
    use_for_training(lm, device)
    trainable = {name: p for name, p in lm.named_parameters() if p.requires_grad}
    loss = AnswerLoss(lm)
    model = dist.wrap(lm, loss, world, device, "ddp")  # DDP syncs only what requires grad
    if world.size > 1:  # the same weights everywhere (DDP broadcast them); dropout per rank
        torch.manual_seed((cfg.seed + 1) * 1_000_003 + world.rank)
    return Tuner(
        lm=lm,
        base_parameters=base_parameters,
        base_dtype=str(lm.get_input_embeddings().weight.dtype).removeprefix("torch."),
        wrapper=wrapper,
        loss=loss,
        model=model,
        forward=torch.compile(model) if cfg.compile else model,
        trainable=trainable,
        optimizer=adamw(list(trainable.values()), cfg, fused=True),
        device=device,
        precision=precision,
        grad_clip=cfg.grad_clip,
        world=world,
    )


def _step(
    tuner: Tuner, windows: TrainingWindows, micro_batches: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One optimizer step over this rank's micro-batches of the global batch; returns the loss
    (the mean over all answer tokens of the global batch), grad norm and answer tokens."""
    world = tuner.world
    batches = [windows.targets(p) for p in micro_batches]
    mine = torch.stack([(targets != -100).sum() for _, targets in batches]).sum()
    answer_tokens = int(dist.sum_over_ranks(mine, world))  # the normaliser of every rank
    total = torch.zeros((), device=tuner.device)
    for i, (inputs, targets) in enumerate(batches):
        inputs, targets = to_device(inputs, tuner.device), to_device(targets, tuner.device)
        with dist.gradient_sync(tuner.model, i == len(batches) - 1), tuner.autocast():
            summed = tuner.forward(inputs, targets)
        # DDP averages gradients over the ranks: times the world size, that average is the
        # gradient of the global batch's summed loss over its answer tokens.
        (summed * world.size / answer_tokens).backward()
        total += summed.detach().float()
    params = list(tuner.trainable.values())
    grad_norm = torch.nn.utils.clip_grad_norm_(params, tuner.grad_clip)  # of synced gradients
    tuner.optimizer.step()
    tuner.optimizer.zero_grad(set_to_none=True)
    return dist.sum_over_ranks(total, world) / answer_tokens, grad_norm.detach(), answer_tokens


@torch.no_grad()
def _validation_loss(tuner: Tuner, val: TrainingWindows, cfg: FinetuneTraining) -> float | None:
    """Mean loss per answer token over the first `eval_batches` batches of batch_size × world
    size validation windows, in stored order (None without validation data): the same windows
    for any number of processes with the same global batch, as in pretraining. Rank r evaluates
    the r-th contiguous share of each batch; the sums over ranks are added up."""
    if len(val) == 0:
        return None
    world = tuner.world
    batch = cfg.batch_size * world.size
    tuner.lm.eval()
    total, count = 0.0, 0
    for i in range(min(cfg.eval_batches, math.ceil(len(val) / batch))):
        share = torch.arange(i * batch, (i + 1) * batch).view(world.size, -1)[world.rank]
        share = share[share < len(val)]
        if len(share) == 0:  # the last batch may end before this rank's share
            continue
        inputs, targets = val.targets(share)
        with tuner.autocast():
            total += float(tuner.loss(inputs.to(tuner.device), targets.to(tuner.device)))
        count += int((targets != -100).sum())
    tuner.lm.train()
    if world.size > 1:
        summed = dist.sum_over_ranks(torch.tensor([total, count], dtype=torch.float64), world)
        total, count = float(summed[0]), int(summed[1])
    return total / count if count else None
