"""Where training runs: the device, the number format, and the facts a release should state."""

from __future__ import annotations

import os
import platform
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from gemeingut.errors import InputError
from gemeingut.i18n import _


def resolve_device(
    requested: str, local_rank: int = 0, setting: str = "model.training.device"
) -> torch.device:
    """auto: the local rank's GPU when CUDA is available, else the CPU. `setting` names the
    option the request came from, for the error."""
    if requested == "cuda" and not torch.cuda.is_available():
        raise InputError(
            _(
                "{setting} = 'cuda' but no CUDA device is available to torch",
                setting=setting,
            ),
            _("set it to 'auto' or 'cpu', or install a CUDA build of torch"),
        )
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        index = local_rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device("cpu")


def resolve_precision(requested: str, device: torch.device) -> str:
    """auto: bf16 autocast where the device computes in bf16 natively (a CUDA device that
    supports it, a CPU with AVX-512 BF16 or AMX), fp32 everywhere else: on other CPUs bf16 is
    emulated and slower than fp32."""
    if requested == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        return "bf16" if device.type == "cpu" and cpu_computes_bf16() else "fp32"
    return requested


def cpu_computes_bf16() -> bool:
    """Whether this CPU has bf16 dot-product instructions (oneDNN then runs bf16 matmuls at
    about twice the fp32 rate). torch only exposes the check privately, hence the guards."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def autocast(device: torch.device, precision: str) -> Any:
    """The context a training or evaluation step runs its forward in."""
    if precision == "fp32":
        return nullcontext()
    return torch.autocast(device.type, dtype=compute_dtype(precision))


def compute_dtype(precision: str) -> torch.dtype:
    return torch.bfloat16 if precision == "bf16" else torch.float32


def hardware(device: torch.device, world_size: int) -> dict[str, Any]:
    """CPU model, cores, threads, GPUs and library versions of the training machine (rank 0)."""
    facts: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": _usable_cores(),
        "torch_threads": torch.get_num_threads(),
        "device": device.type,
        "world_size": world_size,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
    }
    if device.type == "cuda":
        facts["gpu_name"] = torch.cuda.get_device_name(device)
        facts["gpu_count"] = torch.cuda.device_count()
        facts["gpu_memory_gib"] = round(
            torch.cuda.get_device_properties(device).total_memory / 2**30, 1
        )
        facts["cudnn"] = torch.backends.cudnn.version()
    else:
        facts["gpu_count"] = 0
    return facts


def _usable_cores() -> int | None:
    """Cores this process may run on (a container or `taskset` may allow fewer)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def cpu_model() -> str:
    """The CPU's model name, for benchmark and training records."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
