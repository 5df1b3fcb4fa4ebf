"""`verify --rerun`: the pretraining's final validation loss computed again from the bundle.

`training-metadata/training.json` records `final_val_loss`, measured after the last step on the
first `eval_batches` global batches of the validation windows, in stored order
(`pretrain._validation_loss`). Those are the weights `release` publishes where the bundle is
of the pretrained model itself; the windows are cut again from the bundle's validation shards
with the bundle's tokenizer (`token_file.tokenize_split`, `data_order.pack_split`), scored in
the micro-batches and at the precision the record names, on the CPU.

A fine-tune's bundle (`finetune.json` beside it) publishes other weights than those the
pretraining's loss was measured on, so its record is not re-run; the fine-tune's own loss was
measured on held-back chat examples drawn from its data (for an adapter: over base weights at
the recorded `base_weights_dtype`), so it is not re-run either; `rerun_checked.not_rerun` says
why from what the bundle holds.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.layout import FINETUNE_RECORD, MODEL, TRAINING_DATA, TRAINING_METADATA

TRAINING = f"{TRAINING_METADATA}/training.json"
DEVICE = "cpu"
# Nats the loss may differ by. Measured on the tiny test bundle (trained in bf16 on the CPU
# with 1 thread): scored again in bf16 on the CPU with 1 and with 2 threads, the loss came out
# equal to the last bit. bf16 autocast rounds each product to 8 bits of mantissa, and other
# CPUs' kernels may sum in another order: 1e-3 leaves room for that and names a change in the
# third decimal the card and the technical report print.
TOLERANCE = {"fp32": 1e-5, "bf16": 1e-3}


@dataclass(frozen=True)
class ValidationRerun:
    windows: int  # validation windows scored again
    precision: str
    tolerance: float
    problems: list[Message]
    device_note: Message | None  # the training measured elsewhere than this re-run


def has_final_validation(bundle: Path) -> bool:
    """Whether the bundle's training record measured the weights it publishes: a pretraining
    record, and no fine-tune's beside it."""
    return (bundle / TRAINING).is_file() and not (bundle / FINETUNE_RECORD).is_file()


def rerun_validation(bundle: Path) -> ValidationRerun:
    """The final validation loss of training.json, computed again and compared."""
    record = json.loads((bundle / TRAINING).read_text(encoding="utf-8"))
    stats, training = record["stats"], record["training"]
    precision = str(record.get("precision") or "fp32")
    val = _windows(bundle, int(training["seq_len"]))
    problems: list[Message] = []
    if len(val) != stats["validation_windows"]:
        problems.append(_(
            "{file}: {key} is {recorded}, the bundle's validation data gives {computed}",
            file=TRAINING, key="validation_windows", recorded=str(stats["validation_windows"]),
            computed=str(len(val)),
        ))  # fmt: skip
        return ValidationRerun(len(val), precision, TOLERANCE["bf16"], problems, None)
    tolerance = TOLERANCE.get(precision, TOLERANCE["bf16"])
    scored, loss = _loss(bundle, val, record, precision)
    recorded = stats["final_val_loss"]
    number = isinstance(recorded, int | float) and not isinstance(recorded, bool)
    if not number or not abs(recorded - loss) <= tolerance:
        problems.append(_(
            "{file}: {key} is {recorded}, the bundle's model gives {computed}",
            file=TRAINING, key="final_val_loss", recorded=f"{recorded:.6g}" if number
            else str(recorded), computed=f"{loss:.6g}",
        ))  # fmt: skip
    device = str(record.get("device") or "")
    note = None
    if device != DEVICE:
        note = _(
            "the training measured its validation loss on {device} ({precision}), this re-run "
            "on the CPU: a difference may come from the device",
            device=device or "?",
            precision=precision,
        )
    return ValidationRerun(scored, precision, tolerance, problems, note)


def _windows(bundle: Path, seq_len: int) -> Any:
    """The validation windows as the pretraining cut them, from the bundle's own shards and
    tokenizer (in a temporary folder: the bundle is only read)."""
    import numpy as np
    from transformers import AutoTokenizer

    from gemeingut.data.shards import SHARD_DIR
    from gemeingut.model.data_order import Windows
    from gemeingut.model.token_file import open_split, tokenize_split

    tokenizer = AutoTokenizer.from_pretrained(str(bundle / MODEL))
    with tempfile.TemporaryDirectory(prefix="gemeingut-rerun-validation-") as tmp:
        shards = Path(tmp) / "dataset" / SHARD_DIR
        shards.mkdir(parents=True)
        for shard in sorted((bundle / TRAINING_DATA).glob("validation-*.parquet")):
            (shards / shard.name).symlink_to(shard.resolve())
        tokenize_split(shards.parent, "validation", tokenizer, Path(tmp) / "tokens")
        token_file = open_split(Path(tmp) / "tokens", "validation")
        # read into memory: the mapped file goes with the temporary folder
        return Windows(replace(token_file, stream=np.array(token_file.stream)), seq_len)


def _loss(bundle: Path, val: Any, record: dict[str, Any], precision: str) -> tuple[int, float]:
    """Mean loss over the first `eval_batches` global batches of `val`, each in micro-batches
    of `micro_batch` windows (a rank's share of a batch, cut for accumulation, is a run of
    them), the loss computed as the training computed it (`CausalLMLoss`, fused where the
    training fused it, with the attention it runs on a CPU)."""
    import torch

    from gemeingut.model.attention import use_for_training
    from gemeingut.model.loading import load_causal_lm
    from gemeingut.model.loss import CausalLMLoss
    from gemeingut.model.machine import autocast

    training, batch = record["training"], record["batch"]
    global_batch, micro = int(batch["global_batch"]), int(batch["micro_batch"])
    distributed = record.get("distributed") or {}
    sharded = distributed.get("strategy") == "fsdp" and int(distributed.get("world_size", 1)) > 1
    model = load_causal_lm(bundle / MODEL)
    use_for_training(model, torch.device(DEVICE))  # the attention the training ran on a CPU
    loss = CausalLMLoss(model, fused=not (sharded or record["compile"]))
    total, tokens, scored = 0.0, 0, 0
    batches = min(int(training["eval_batches"]), math.ceil(len(val) / global_batch))
    with torch.no_grad():
        for start in range(0, batches * global_batch, micro):
            indices = torch.arange(start, start + micro)
            indices = indices[indices < len(val)]
            if not len(indices):
                continue
            rows = val.rows(indices)
            with autocast(torch.device(DEVICE), precision):
                mean = loss(rows[:, :-1], rows[:, 1:])
            total += float(mean.double()) * rows[:, 1:].numel()
            tokens += rows[:, 1:].numel()
            scored += len(indices)
    return scored, total / tokens
