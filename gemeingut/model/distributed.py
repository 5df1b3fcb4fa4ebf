"""Training on several processes with `torchrun`: DDP or FSDP, and who writes what.

Under `torchrun --nproc_per_node N gemeingut model pretrain ...` (or `model finetune`, or
`gemeingut build`) every process runs the same command, but only rank 0 (the *leader*) runs the
stages: it finds or builds artifacts through `materialize`, so only it touches the workspace. The
other ranks (*followers*) wait in `lead_or_follow`; when the leader's training stage starts, it
broadcasts the job (its inputs, section and the `.partial` directory it trains into), every rank
trains its share, and only the leader writes logs, checkpoints and the artifact. When the leader
is done it broadcasts "done" and every rank leaves the process group. If any rank fails,
torchrun stops the others.

The job messages go over a separate gloo group with a long timeout, because followers may wait
for hours while the leader curates data; training collectives use the default group (gloo on
CPU, NCCL on CUDA) with torch's default timeout.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from gemeingut.errors import InputError
from gemeingut.i18n import _

T = TypeVar("T")
_CONTROL_TIMEOUT = dt.timedelta(days=2)
_control: dict[str, Any] = {}  # the process's control group, made once in `init_from_env`


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _launched_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def current_world() -> World:
    """This process's place in the group; a single process when not started by torchrun."""
    if dist.is_available() and dist.is_initialized():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        return World(dist.get_rank(), dist.get_world_size(), local)
    if _launched_size() > 1:
        raise InputError(
            _("started by torchrun, but this command does not join the process group"),
            _(
                "train under torchrun with `gemeingut model pretrain`, `gemeingut model "
                "finetune` or `gemeingut build`"
            ),
        )
    return World()


def init_from_env() -> World:
    """Join torchrun's group (gloo for CPU tensors, NCCL for CUDA tensors when available)."""
    if _launched_size() <= 1 or dist.is_initialized():
        return current_world()
    _check_rendezvous()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local % torch.cuda.device_count())
        dist.init_process_group("cpu:gloo,cuda:nccl")
    else:
        dist.init_process_group("gloo")
    _control["group"] = dist.new_group(backend="gloo", timeout=_CONTROL_TIMEOUT)
    return current_world()


def _check_rendezvous() -> None:
    """WORLD_SIZE alone (left over in a shell, say) is not torchrun: joining would fail with a
    traceback about the environment."""
    missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise InputError(
            _(
                "WORLD_SIZE={size} asks for several processes, but {missing} is not set: this "
                "process was not started by torchrun",
                size=str(_launched_size()),
                missing=", ".join(missing),
            ),
            _(
                "start it with `torchrun --nproc_per_node N ...`, or run it without torchrun in "
                "one process: unset WORLD_SIZE"
            ),
        )


def lead_or_follow(run: Callable[[], T]) -> T | None:
    """Run `run` on rank 0 while the other ranks follow its training jobs; None on followers.

    In a single process this is just `run()`.
    """
    world = init_from_env()
    if world.size == 1:
        return run()
    try:
        if world.is_main:
            result = run()
            _broadcast({"job": "done"})
            return result
        _follow()
        return None
    finally:
        dist.destroy_process_group()
        _control.clear()


def announce(job: dict[str, Any]) -> None:
    """Leader: tell the followers to start `job` (they call its handler with the message)."""
    if "group" not in _control:
        raise InputError(
            _("several processes, but the followers are not listening"),
            _(
                "run training under torchrun through `gemeingut model pretrain`, `gemeingut "
                "model finetune` or `gemeingut build`"
            ),
        )
    _broadcast(job)


def _follow() -> None:
    from gemeingut.model.finetune import follow_finetune
    from gemeingut.model.pretrain import follow_pretrain

    handlers: dict[str, Callable[[dict[str, Any]], None]] = {
        "pretrain": follow_pretrain,
        "finetune": follow_finetune,
    }
    while (message := _broadcast(None))["job"] != "done":
        handlers[message["job"]](message)


def _broadcast(message: dict[str, Any] | None) -> dict[str, Any]:
    box = [message]
    dist.broadcast_object_list(box, src=0, group=_control["group"])
    return box[0]


def broadcast_object(value: Any, world: World) -> Any:
    """Rank 0's `value` on every rank (over the default group)."""
    if world.size == 1:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_objects(value: Any, world: World) -> list[Any]:
    if world.size == 1:
        return [value]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, value)
    return out


def sum_over_ranks(value: torch.Tensor, world: World) -> torch.Tensor:
    if world.size > 1:
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value


def mean_over_ranks(value: torch.Tensor, world: World) -> torch.Tensor:
    if world.size > 1:
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        value = value / world.size
    return value


def wrap(
    lm: nn.Module, step_module: nn.Module, world: World, device: torch.device, strategy: str
) -> nn.Module:
    """The module a training step calls: `step_module` (which holds `lm`) in DDP (a full copy
    per rank, gradients averaged), or as it is with `lm` sharded by FSDP2 (`fully_shard` per
    decoder layer and the model: parameters, gradients and optimizer state split across ranks).
    """
    if world.size == 1:
        return step_module
    if strategy == "fsdp":
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        mesh = init_device_mesh(device.type, (world.size,))
        for layer in lm.model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(lm, mesh=mesh)
        return step_module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(step_module, device_ids=device_ids)


@contextmanager
def gradient_sync(model: nn.Module, enabled: bool) -> Iterator[None]:
    """Skip the gradient all-reduce on all but the last micro-batch of a step."""
    if enabled:
        yield
    elif hasattr(model, "no_sync"):  # DDP
        with model.no_sync():
            yield
    elif hasattr(model, "set_requires_gradient_sync"):  # FSDP2
        model.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            model.set_requires_gradient_sync(True)
    else:
        yield
