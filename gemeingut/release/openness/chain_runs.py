"""The compute and energy of every run that made a model fine-tuned from a fine-tune (a chain:
pretraining → earlier fine-tunes → the released one), for the Model Documentation Form.

A chain on a foreign base (base → ft1 → … → the released one) has no pretraining of ours: its
runs are its fine-tunings (`tuning_runs`), summed alike, the base's own training left to its
provider. A chain's earlier fine-tunes are runs of their own: their records lie in
`training-metadata/finetuning-earlier/<id>/finetune.json` (`verify` checks them against their
logs and the lineage's copy, `finetune_earlier_N`). Each stage is stated with the record it is
read from; the totals add the stages that recorded the figure, and a stage that did not record
it is named as not recorded (never estimated). A bundle without earlier fine-tunes keeps the
form's two-stage shape (`ai_act.py`). `tuning_links` says where the bundle holds each
fine-tuning's record, log and data, which the technical report describes link by link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.model.energy import recorded_kwh
from gemeingut.release.layout import (
    FINETUNE_EARLIER,
    FINETUNE_LOG,
    FINETUNE_RECORD,
    TRAINING_METADATA,
    earlier_finetunes,
    earlier_roles,
    finetune_data_folder,
)

NOT_RECORDED = "not recorded by its run"
_LINEAGE = f"{TRAINING_METADATA}/lineage.json"
_PRETRAINING = f"{TRAINING_METADATA}/training.json"


@dataclass(frozen=True)
class Run:
    """One training run as its record states it (None: the record does not state it)."""

    stage: str
    record: str  # the bundle path the figures are read from
    seconds: float | None
    flops: int | None
    kwh: float | None
    method: str | None  # how the energy was found, as the record says
    hardware: Any


def earlier_record(fine_tune_id: str) -> str:
    """The bundle path of an earlier fine-tune's own record."""
    return f"{TRAINING_METADATA}/{FINETUNE_EARLIER}/{fine_tune_id}/{Path(FINETUNE_RECORD).name}"


@dataclass(frozen=True)
class Link:
    """One fine-tuning of a chain as the bundle holds it: the bundle paths of its record, its
    log and the folder of its data."""

    model: str  # its artifact id
    record: str
    log: str
    data: str


def tuning_links(bundle: Path) -> list[Link]:
    """Every fine-tuning in the bundle's lineage, oldest first: the earlier ones of a chain,
    then the released one (alone outside a chain)."""
    lineage = _json(bundle / _LINEAGE)
    links = []
    for role in [*earlier_roles(lineage), "finetune"]:
        meta = lineage[role]
        record = earlier_record(str(meta["id"])) if role != "finetune" else FINETUNE_RECORD
        links.append(
            Link(
                model=str(meta["id"]),
                record=record,
                log=f"{Path(record).parent.as_posix()}/{Path(FINETUNE_LOG).name}",
                data=finetune_data_folder(role, meta),
            )
        )
    return links


def earlier_runs(bundle: Path) -> list[Run]:
    """The earlier fine-tunes of the released model, oldest first (none outside a chain), each
    from its own record (one the bundle lacks states nothing: every figure not recorded)."""
    lineage_path = bundle / _LINEAGE
    lineage = _json(lineage_path) if lineage_path.is_file() else {}
    runs = []
    for meta in earlier_finetunes(lineage):
        rel = earlier_record(str(meta["id"]))
        record = _json(bundle / rel) if (bundle / rel).is_file() else {}
        runs.append(_tuning_run(f"earlier fine-tuning {meta['id']}", rel, record))
    return runs


def chain_runs(bundle: Path, earlier: list[Run]) -> list[Run]:
    """Every run of the chain, oldest first: the pretraining, `earlier`, the released one."""
    return [pretraining_run(bundle), *earlier, released_run(bundle)]


def pretraining_run(bundle: Path) -> Run:
    """The pretraining as `training.json` states it."""
    training = _json(bundle / _PRETRAINING)
    energy = training.get("energy")
    return Run(
        stage="pretraining",
        record=_PRETRAINING,
        seconds=(training.get("wall_seconds") or {}).get("total"),
        flops=(training.get("flops") or {}).get("flops_6nd"),
        kwh=recorded_kwh(energy),
        method=energy.get("method") if isinstance(energy, dict) else None,
        hardware=training.get("hardware"),
    )


def tuning_runs(bundle: Path) -> list[Run]:
    """Every fine-tuning of a foreign base's chain, oldest first: `earlier_runs`, the released."""
    return [*earlier_runs(bundle), released_run(bundle)]


def released_run(bundle: Path) -> Run:
    """The fine-tuning of the released model as its `finetune.json` states it."""
    return _tuning_run("fine-tuning", FINETUNE_RECORD, _json(bundle / FINETUNE_RECORD))


def stage_compute(run: Run) -> dict[str, Any]:
    """One run's time and compute as the form states each stage."""
    return {
        "training_time_seconds": _or_not_recorded(run.seconds),
        "training_compute_flops": _or_not_recorded(run.flops),
        "compute_method": "6·N·D" if run.stage == "pretraining" else _TUNING_METHOD,
        "record": run.record,
        "hardware": run.hardware,
    }


def chain_compute(runs: list[Run], method: str | None = None) -> dict[str, Any]:
    """The form's `computational_resources`: the totals of the runs and each run's own
    (`method`: how the total is made, if not `SUM`)."""
    stages = {run.stage: stage_compute(run) for run in runs}
    seconds = [run.seconds for run in runs if run.seconds is not None]
    return {
        "training_time_seconds": round(sum(seconds), 3),
        "training_compute_flops": sum(run.flops for run in runs if run.flops is not None),
        "compute_method": method or SUM,
        **_unrecorded(runs, "seconds", "flops"),
        "stages": stages,
    }


def chain_energy(runs: list[Run], method: str | None = None) -> dict[str, Any]:
    """The form's `energy_consumption`: the kWh the runs recorded, summed, and each run's
    (`method`: how the total is made, if not `SUM`)."""
    stages = {
        run.stage: {
            "kwh": _or_not_recorded(run.kwh),
            "method": run.method or NOT_RECORDED,
            "record": run.record,
        }
        for run in runs
    }
    recorded = [run.kwh for run in runs if run.kwh is not None]
    return {
        "kwh": sum(recorded) if recorded else NOT_RECORDED,
        "method": method or SUM,
        **_unrecorded(runs, "kwh"),
        "stages": stages,
    }


SUM = "the sum of the pretraining's and every fine-tuning's that recorded it (stages)"
TUNING_SUM = (
    "the sum of every fine-tuning's of the chain that recorded it (stages); the base model's "
    "pretraining is documented by its own provider"
)
_TUNING_METHOD = "6·N·D (N all parameters: for LoRA an upper bound)"


def _tuning_run(stage: str, rel: str, record: dict[str, Any]) -> Run:
    stats = record.get("stats") or {}
    parameters, tokens = stats.get("parameters"), stats.get("tokens_seen")
    counted = all(isinstance(n, int) and not isinstance(n, bool) for n in (parameters, tokens))
    energy = record.get("energy")
    kwh = recorded_kwh(energy)
    return Run(
        stage=stage,
        record=rel,
        seconds=stats.get("wall_seconds_total"),
        flops=6 * parameters * tokens if counted else None,
        kwh=kwh,
        method=energy.get("method") if kwh is not None and isinstance(energy, dict) else None,
        hardware=record.get("hardware"),
    )


def _unrecorded(runs: list[Run], *fields: str) -> dict[str, Any]:
    """The stages whose record lacks one of `fields`: the total leaves them out, by name."""
    missing = [run.stage for run in runs if any(getattr(run, f) is None for f in fields)]
    return {"not_recorded": missing} if missing else {}


def _or_not_recorded(value: Any) -> Any:
    return NOT_RECORDED if value is None else value


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
