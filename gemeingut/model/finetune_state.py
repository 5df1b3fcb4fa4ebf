"""The parts of a fine-tuning run that are not the loop: checkpoints in and out, the saved
adapter or model, the copy of its data and `finetune.json` with the run's measured energy
(pretraining's are in `run_state.py`).

A checkpoint holds what trains (the adapters, or all weights in full fine-tuning), the optimizer
state keyed by parameter name, the data position and every rank's RNG state. Rank 0 alone reads
it on resume; torch's state-dict utilities send it to the other ranks (`run_state.load_states`).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict
from transformers import PreTrainedTokenizerBase

from gemeingut.data.shards import CURATED_DIR, DATASET_RECORD, SHARD_DIR
from gemeingut.model import distributed as dist
from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.checkpoints import CHECKPOINT_DIR, read_index, save_checkpoint
from gemeingut.model.data_order import DataOrder
from gemeingut.model.energy import extrapolated, recorded_kwh
from gemeingut.model.finetune_base_reference import base_reference, cached_model
from gemeingut.model.finetune_said import DATASET_SPLIT, LOSS_ON, share_recorded
from gemeingut.model.finetune_windows import TrainingWindows
from gemeingut.model.machine import hardware
from gemeingut.model.run_state import gather_rng, load_states
from gemeingut.model.tokenizer import save_tokenizer
from gemeingut.model.training_log import LOG_FILE, read_records
from gemeingut.recipe import FinetuneSection, FinetuneTraining
from gemeingut.workspace import ARTIFACT_FILE

if TYPE_CHECKING:
    from gemeingut.model.finetune import Tuner

DATA_DIR = "data"


def checkpoint(
    tuner: Tuner,
    folder: Path,
    step: int,
    position: int,
    order: DataOrder,
    cfg: FinetuneTraining,
    wall: float,
) -> None:
    """Every rank gives its RNG state (dropout differs per rank); rank 0 writes."""
    world = tuner.world
    optimizer = get_optimizer_state_dict(
        tuner.lm, tuner.optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    rng = gather_rng(tuner.device, world)
    if not world.is_main:
        return
    state = {
        "step": step,
        "trainable": {name: p.detach().cpu() for name, p in tuner.trainable.items()},
        "optimizer": optimizer,
        "rng": rng,
        "data": {"seed": order.seed, "global_batch": order.global_batch, "windows": position},
        "progress": {"wall_seconds": wall, "world_size": world.size},
    }
    save_checkpoint(folder, step, state, cfg.keep_checkpoints)


def restore(tuner: Tuner, state: dict[str, Any] | None) -> tuple[int, int, float]:
    """(step, windows consumed, wall seconds of earlier runs) of rank 0's checkpoint (None on
    the other ranks, or for a fresh start), whose weights and optimizer state every rank loads."""
    world = tuner.world
    info = None if state is None else {k: state[k] for k in ("step", "rng", "progress", "data")}
    info = dist.broadcast_object(info, world)
    if info is None:
        return 0, 0, 0.0
    states = (state["trainable"], state["optimizer"]) if state else None  # rank 0 holds them
    load_states(tuner.lm, tuner.optimizer, states, world, strict=False)  # only what trains
    _restore_rng(tuner, info["rng"])
    return int(info["step"]), int(info["data"]["windows"]), info["progress"]["wall_seconds"]


def _restore_rng(tuner: Tuner, rng: dict[str, list[torch.Tensor]]) -> None:
    """Each rank continues its own random stream; after a change of world size the ranks keep
    the fresh streams they were seeded with (no run with the old size could be repeated)."""
    world = tuner.world
    if len(rng["cpu"]) != world.size:
        return
    torch.set_rng_state(rng["cpu"][world.rank])
    if tuner.device.type == "cuda" and rng["cuda"]:
        torch.cuda.set_rng_state(rng["cuda"][world.rank], tuner.device)


def save(
    tuner: Tuner,
    section: FinetuneSection,
    base: BaseModelFacts,
    tokenizer: PreTrainedTokenizerBase,
    out_dir: Path,
) -> str:
    """Write the result; returns its format: "lora-adapter", "merged" or "full"."""
    tuner.lm.to("cpu")
    if section.method == "lora" and not section.merge:
        # peft and transformers load the adapter alone (`AutoPeftModelForCausalLM`) through
        # this name: the base's Hub id and revision when it came from the Hub cache, else its
        # full path.
        config = tuner.wrapper.peft_config["default"]
        config.base_model_name_or_path = base_reference(base.path)
        cached = cached_model(base.path)
        config.revision = cached.revision if cached is not None else None
        with warnings.catch_warnings():  # "no config file in <hub id>" when offline
            warnings.simplefilter("ignore", UserWarning)
            tuner.wrapper.save_pretrained(str(out_dir), safe_serialization=True)
        (out_dir / "README.md").unlink(missing_ok=True)  # peft's card: placeholders only
        _sort_target_modules(out_dir / "adapter_config.json")
        output = "lora-adapter"
    else:
        if section.method == "lora":  # merged in fp32, as `load_causal_lm` merges an adapter
            model = tuner.wrapper.to(torch.float32).merge_and_unload()
        else:
            model = tuner.lm
        model.save_pretrained(str(out_dir), safe_serialization=True)
        output = "merged" if section.method == "lora" else "full"
    save_tokenizer(tokenizer, out_dir)
    return output


def _sort_target_modules(config: Path) -> None:
    """peft writes the layer names from a set, in an order that changes with each process's
    hash seed; sorted, the same fine-tune writes the same bytes (and id-equal reproductions)."""
    settings = json.loads(config.read_text(encoding="utf-8"))
    if isinstance(settings.get("target_modules"), list):
        settings["target_modules"] = sorted(settings["target_modules"])
        config.write_text(json.dumps(settings, indent=2, sort_keys=True), encoding="utf-8")


def curated_copies(artifact_dir: Path) -> list[Path]:
    """The copies of curated datasets among a fine-tuning artifact's data (train, validation)."""
    data = artifact_dir / DATA_DIR
    return [d for d in (data / CURATED_DIR, data / "validation" / CURATED_DIR) if d.is_dir()]


def keep_data(data: Path, validation: Path | None, target: Path) -> None:
    """A copy of the fine-tuning data, so the artifact holds what a release must publish: the
    file or folder as given, or of a curated dataset its train and validation shards and stats
    (their documents' licences, attributions and use conditions) and its record under
    `curated-dataset/`."""
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
            if (path / ARTIFACT_FILE).is_file():
                shutil.copy2(path / ARTIFACT_FILE, copy / DATASET_RECORD)
        elif path.is_dir():
            shutil.copytree(path, folder / path.name, dirs_exist_ok=True)  # a rerun
        else:
            shutil.copy2(path, folder / path.name)


def write_metadata(
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
    energy: dict[str, Any],
) -> dict[str, Any]:
    """`finetune.json`: base model, data, method and run; returns the artifact's stats.
    `wall`: seconds of the earlier (interrupted) runs and of this one, whose `energy` alone
    was measured (a resumed run's total is extrapolated by wall time, as in pretraining)."""
    if wall[0]:
        energy = {**energy, **extrapolated(energy, sum(wall))}
    parameters = tuner.base_parameters
    trainable = sum(p.numel() for p in tuner.trainable.values())
    world_size = tuner.world.size
    global_batch = cfg.batch_size * cfg.grad_accumulation * world_size
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
        "global_batch_size": global_batch,
        "world_size": world_size,
        "resumed_from_step": steps[0],
        "initial_val_loss": losses[0],
        "final_val_loss": losses[1],
        "wall_seconds_total": round(sum(wall), 3),
        "energy_kwh": recorded_kwh(energy),
        "energy_method": energy.get("method"),
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
                DATASET_SPLIT
                if (data / SHARD_DIR).is_dir()
                else share_recorded(section.validation_fraction, cfg.seed)
            ),
            "loss_on": LOSS_ON,
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
        "hardware": hardware(tuner.device, world_size),
        "energy": energy,
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
