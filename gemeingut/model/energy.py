"""Energy of a training run: measured by codecarbon when installed, else power × time.

codecarbon (`pip install "gemeingut[energy]"`) runs offline (`OfflineEmissionsTracker` with
`country_iso_code="DEU"` for the German grid's carbon intensity). It reads RAPL counters for the
CPU and NVML for GPUs where it can; without RAPL (most VMs) it falls back to its own
per-CPU-model power guess, which the record says.

The estimate without codecarbon: (CPU watts + GPU watts) × wall time, where CPU watts =
`CPU_WATTS_PER_THREAD` × busy threads (a server core's share of a 200-300 W package) and GPU
watts = each GPU's power limit from `nvidia-smi` (its TDP), else `GPU_FALLBACK_WATTS`; CO₂ from
`GRID_KG_PER_KWH`, the German electricity mix (Umweltbundesamt, 2023: about 380 g/kWh).

Pretraining and fine-tuning measure their runs alike and record the result in their run records
(`training.json`'s and `finetune.json`'s `energy`). This module imports neither torch nor
codecarbon until a run is measured: release and verify read the records with it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CPU_WATTS_PER_THREAD = 10.0
GPU_FALLBACK_WATTS = 400.0
GRID_KG_PER_KWH = 0.380
COUNTRY = "DEU"
JOULES_PER_KWH = 3.6e6


@dataclass
class EnergyMeter:
    """Start before training, `stop()` after: the energy of this process's run."""

    cpu_threads: int
    gpus: int
    _tracker: Any = field(default=None, repr=False)
    _started: float = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()
        try:
            from codecarbon import OfflineEmissionsTracker
        except ImportError:
            return
        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        self._tracker = OfflineEmissionsTracker(
            country_iso_code=COUNTRY,
            log_level="error",
            save_to_file=False,
            measure_power_secs=15,
        )
        self._tracker.start()

    def stop(self) -> dict[str, Any]:
        seconds = time.perf_counter() - self._started
        if self._tracker is not None:
            return self._codecarbon_record(seconds)
        return self._estimate(seconds)

    def close(self) -> None:
        """Stop codecarbon's background thread if the run ended without `stop()`."""
        tracker, self._tracker = self._tracker, None
        if tracker is not None:
            with contextlib.suppress(Exception):
                tracker.stop()

    def _codecarbon_record(self, seconds: float) -> dict[str, Any]:
        import codecarbon

        tracker, self._tracker = self._tracker, None
        tracker.stop()
        data = tracker.final_emissions_data
        kwh = float(data.energy_consumed)
        return {
            "method": f"codecarbon {codecarbon.__version__} OfflineEmissionsTracker"
            f"(country_iso_code={COUNTRY!r})",
            "rapl_available": _rapl_available(),
            "note": "without RAPL codecarbon estimates CPU power from its CPU-model table or a "
            "fixed default; GPU power is read from NVML",
            "seconds_this_run": round(seconds, 3),
            "kwh_this_run": kwh,
            "co2_kg_this_run": float(data.emissions),
            "cpu_power_w": float(data.cpu_power),
            "gpu_power_w": float(data.gpu_power),
            "ram_power_w": float(data.ram_power),
        }

    def _estimate(self, seconds: float) -> dict[str, Any]:
        gpu_watts = _gpu_power_limits()[: self.gpus] if self.gpus else []
        gpu_watts += [GPU_FALLBACK_WATTS] * (self.gpus - len(gpu_watts))
        assumptions = {
            "cpu_watts_per_thread": CPU_WATTS_PER_THREAD,
            "cpu_threads": self.cpu_threads,
            "gpu_watts": gpu_watts,
            "grid_kg_co2_per_kwh": GRID_KG_PER_KWH,
        }
        kwh = estimated_watts(assumptions) * seconds / JOULES_PER_KWH
        return {
            "method": (
                "estimate: (CPU_WATTS_PER_THREAD x threads + GPU power limit) x wall time "
                if gpu_watts
                else "estimate: CPU_WATTS_PER_THREAD x threads x wall time "  # the terms used
            )
            + "(codecarbon not installed; pip install 'gemeingut[energy]' to measure)",
            "assumptions": assumptions,
            "seconds_this_run": round(seconds, 3),
            "kwh_this_run": kwh,
            "co2_kg_this_run": kwh * GRID_KG_PER_KWH,
        }


def estimated_watts(assumptions: dict[str, Any]) -> float:
    """The power an estimate assumes, from its record's `assumptions`: watts per CPU thread ×
    threads + each GPU's watts (the meter writes its kWh with it, `verify` computes it again)."""
    gpus = sum(float(watts) for watts in assumptions.get("gpu_watts") or [])
    return float(assumptions["cpu_watts_per_thread"]) * int(assumptions["cpu_threads"]) + gpus


def extrapolated(energy: dict[str, Any], wall_total: float) -> dict[str, Any]:
    """Energy of earlier interrupted runs is not measured; scale this run's by wall time."""
    seconds = energy.get("seconds_this_run") or 0.0
    if not seconds or "kwh_this_run" not in energy:
        return {}
    return {"kwh_total_extrapolated": energy["kwh_this_run"] * wall_total / seconds}


def recorded_kwh(energy: Any) -> float | None:
    """The kWh a run record's `energy` states: of all runs where a resumed run extrapolated
    them, else of the one run measured; None where the record states none (a run made before
    its energy was measured)."""
    if not isinstance(energy, dict):
        return None
    kwh = energy.get("kwh_total_extrapolated", energy.get("kwh_this_run"))
    return float(kwh) if isinstance(kwh, int | float) and not isinstance(kwh, bool) else None


def _gpu_power_limits() -> list[float]:
    """Each GPU's power limit in watts (its TDP unless lowered), from nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=power.limit", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return [float(line) for line in out.split() if line.strip()]
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


def _rapl_available() -> bool:
    rapl = Path("/sys/class/powercap/intel-rapl:0/energy_uj")
    try:
        rapl.read_text()
        return True
    except OSError:
        return False
