"""The training log: append-only JSONL that a resumed run cuts back to its checkpoint, written
one step late so that the host never waits for the device.

A line is written and flushed per record, so `kill -9` loses at most the line being written; a
torn last line (or any line that does not parse) is dropped when the log is reopened.

On a GPU, each step's loss and gradient norm are copied into pinned host memory right after the
step (asynchronously, with an event behind them), and read one step later, once the event has
passed: reading them at once (`.item()`) would make the host wait until the GPU is idle.
A step's time runs from its start to the start of the next step (or its own end, before an
evaluation or checkpoint), on the GPU's own clock (CUDA events) or the CPU's wall clock.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gemeingut.i18n import _, current_language, localized, text
from gemeingut.json_records import record_lines
from gemeingut.model.flops import Peak, mfu

LOG_FILE = "training_log.jsonl"  # in a model or fine-tuning artifact


class JsonlLog:
    """One JSON object per line, each with a "step"; reopening keeps steps <= `keep_through`."""

    def __init__(self, path: Path, keep_through: int) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = [r for r in read_records(path) if r.get("step", 0) <= keep_through]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        self._handle = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def logged_val_losses(path: Path) -> tuple[float | None, float | None]:
    """The first and the latest validation loss of the log a resumed run continues: its
    progress line and its final loss go on from the latest, not from step 0's."""
    logged = [r["val_loss"] for r in read_records(path) if "val_loss" in r]
    return (logged[0], logged[-1]) if logged else (None, None)


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for line in record_lines(path.read_text(encoding="utf-8")):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a crash
    return records


class StepClock:
    """Marks on the device's timeline, and numbers brought to the host without waiting."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def mark(self) -> Any:
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def to_host(self, **values: torch.Tensor) -> tuple[dict[str, Any], Any]:
        """Start copying `values` to the host; returns them (to read after `wait`) and a mark."""
        if not self.cuda:
            return {k: float(v) for k, v in values.items()}, self.mark()
        stacked = torch.stack([v.detach().float() for v in values.values()])
        host = torch.empty(stacked.shape, dtype=stacked.dtype, pin_memory=True)
        host.copy_(stacked, non_blocking=True)
        return dict(zip(values, host, strict=True)), self.mark()

    def wait(self, mark: Any) -> None:
        if self.cuda:
            mark.synchronize()

    def seconds(self, start: Any, end: Any) -> float:
        return start.elapsed_time(end) / 1000 if self.cuda else end - start


@dataclass(frozen=True)
class Rate:
    """Tokens per second and model FLOPs utilisation of one step."""

    tokens_per_step: int
    flops_per_token: int
    peak: Peak | None
    devices: int

    def of(self, seconds: float) -> dict[str, float]:
        tokens_per_s = self.tokens_per_step / seconds
        out = {"tokens_per_s": tokens_per_s}
        if self.peak is not None:
            out["mfu"] = round(mfu(self.flops_per_token, tokens_per_s, self.peak, self.devices), 5)
        return out


class StepRecords:
    """Each step's record, completed (loss, grad norm, speed) and written one step later.
    Rank 0 writes; on other ranks (`log` None) nothing is read or written."""

    def __init__(
        self,
        log: JsonlLog | None,
        advance: Callable[..., None] | None,
        clock: StepClock,
        rate: Rate,
    ) -> None:
        self.log = log
        self._advance = advance
        self.clock = clock
        self.rate = rate
        self.pending: tuple[dict[str, Any], dict[str, Any], tuple[Any, Any]] | None = None
        self.val_loss = math.nan
        self.seconds = 0.0  # summed step times of this run

    def advance(self, steps: int, info: str = "") -> None:
        if self._advance:
            self._advance(steps, info=info)

    def add(
        self,
        record: dict[str, Any],
        numbers: dict[str, Any],
        span: tuple[Any, Any],
        val_loss: float,
    ) -> None:
        """Write the previous step's record (its time ends where this step began) and hold
        this one; after an evaluation, which waited for the device anyway, write it at once."""
        self.flush(next_start=span[0])
        self.pending, self.val_loss = (record, numbers, span), val_loss
        if "val_loss" in record:
            self.flush()

    def flush(self, next_start: Any = None) -> None:
        pending, self.pending = self.pending, None
        if pending is None or self.log is None:
            return
        record, numbers, (start, end) = pending
        self.clock.wait(end)
        if next_start is not None:
            self.clock.wait(next_start)  # the GPU reaches it right after `end`
        seconds = self.clock.seconds(start, next_start if next_start is not None else end)
        self.seconds += seconds
        values = {**record, **{k: float(v) for k, v in numbers.items()}, **self.rate.of(seconds)}
        self.log.write(values)
        self.advance(1, info=losses(values["loss"], self.val_loss))


def losses(loss: float, val_loss: float) -> str:
    """The losses beside the progress, in the reader's words and decimal marks; no validation
    loss where the run has no validation data (nan)."""
    language = current_language()
    shown = localized(f"{loss:.3f}", language)
    if math.isnan(val_loss):
        return text(_("loss {loss}", loss=shown), language)
    validation = localized(f"{val_loss:.3f}", language)
    said = _("loss {loss} · validation {validation}", loss=shown, validation=validation)
    return text(said, language)
