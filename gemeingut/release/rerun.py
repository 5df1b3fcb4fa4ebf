"""`verify --rerun N`: a sample of the audit's results computed again from the bundle alone.

N of the bias pairs in `audit/logs/bias.jsonl` are scored again with the bundle's model, at
the precision the audit recorded, on the pairs of the suite in the bundle's own code snapshot,
and compared with the logged values. This shows that the published numbers come from this
model and these pairs, without re-running the whole audit. It needs torch (the rest of
`verify` does not), so it runs only when asked for. The re-run is on the CPU, where the
tolerance was measured; an audit the report records on another device (a GPU rounds bf16
otherwise) is said, so a difference beyond the tolerance names its likely cause.

The evaluation's numbers on the test split are computed again as well (`rerun_evaluation.py`),
so a bundle without an audit still has its card's numbers re-run; so are a sample of the
audit's task items, which lm-eval scored (`rerun_tasks.py`), and, where the bundle publishes
the weights it was measured on, the training's final validation loss (`rerun_validation.py`).
Only a bundle with none of these has nothing for `--rerun`, which is a mistake in the call.
"""

from __future__ import annotations

import json
import random
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import Message, _
from gemeingut.json_records import record_lines
from gemeingut.release.layout import AUDIT, MODEL, TRAINING_CODE
from gemeingut.release.rerun_evaluation import EVALUATION, EvaluationRerun, has_evaluation
from gemeingut.release.rerun_tasks import TASK_LOG, TaskRerun, has_task_log
from gemeingut.release.rerun_validation import TRAINING, ValidationRerun, has_final_validation

# Nats a re-run may differ by: fp32 differs only in summation order; bf16 autocast also in
# rounding, which depends on the batch a pair lands in. Measured on the demo bundle (bf16 on the
# CPU, as audited): all 451 pairs re-scored in samples of 1, 5, 20, 60, 128 and 451 differed
# from the log by at most 0.033 nats (delta and sentence_delta alike; a tester saw 0.013 on
# 5 pairs). 0.05 leaves room for that spread and still names a shift of a tenth of a nat, where
# the former 0.25 let a +0.2 shift of every pair pass.
TOLERANCE = {"fp32": 1e-3, "bf16": 0.05}
SHIPPED_SUITE = "gemeingut bias/"
RERUN_DEVICE = "cpu"  # every verifier has one: the same numbers everywhere
BIAS_LOG = f"{AUDIT}/logs/bias.jsonl"


@dataclass(frozen=True)
class Rerun:
    checked: int
    total: int
    tolerance: float
    problems: list[Message]
    seed: int  # draws the sample: `--seed` repeats it
    device_note: Message | None = None  # the audit ran elsewhere than this re-run
    audit_device: str | None = None  # report.json → model.device; None where it records none
    precision: str = "fp32"  # the audit's, which this re-run scores with too
    largest: float = 0.0  # the largest difference seen, in nats, of any pair's two deltas


@dataclass(frozen=True)
class Reran:
    """All that `--rerun` computed again: the bias sample, the evaluation, the task sample and
    the final validation loss, each None where the bundle holds none."""

    seed: int
    bias: Rerun | None
    evaluation: EvaluationRerun | None
    tasks: TaskRerun | None
    validation: ValidationRerun | None
    bundle: Path  # whose records were re-run (to say why one was not)


def new_seed() -> int:
    """A fresh sample each run: a fixed one would tell a forger which pairs to leave alone."""
    return secrets.randbelow(2**31)


def has_bias_audit(bundle: Path) -> bool:
    return (bundle / AUDIT / "report.json").is_file() and (bundle / BIAS_LOG).is_file()


def require_rerunnable(bundle: Path) -> None:
    """A bundle with neither a bias audit, nor evaluation results, nor the audit's task items,
    nor a validation loss of the weights it publishes has nothing `--rerun` can compute again:
    a mistake in the call, said before any hashing."""
    if not (
        has_bias_audit(bundle)
        or has_evaluation(bundle)
        or has_task_log(bundle)
        or has_final_validation(bundle)
    ):
        raise InputError(
            _(
                "{bundle} holds nothing to re-run: neither a bias audit ({log}) nor evaluation "
                "results ({evaluation}) nor task items ({tasks}) nor a validation loss of the "
                "weights it publishes ({training})",
                bundle=str(bundle),
                log=BIAS_LOG,
                evaluation=EVALUATION,
                tasks=TASK_LOG,
                training=TRAINING,
            ),
            _("verify without --rerun"),
        )


def require_bias_audit(bundle: Path) -> tuple[Path, Path]:
    """The audit's report and bias log; a bundle without them has nothing to re-run, which
    is a mistake in the call (`--rerun` asked of it), not a bundle that fails."""
    report_path, log_path = bundle / AUDIT / "report.json", bundle / AUDIT / "logs" / "bias.jsonl"
    if not report_path.is_file() or not log_path.is_file():
        raise InputError(
            _("{bundle} holds no bias audit to re-run (audit/logs/bias.jsonl)", bundle=str(bundle)),
            _("verify without --rerun, or audit the model first"),
        )
    return report_path, log_path


def rerun_bias_sample(bundle: Path, n: int, seed: int | None = None) -> Rerun:
    """N pairs drawn with `seed` (a new one when None) scored again and compared with the log."""
    seed = new_seed() if seed is None else seed
    report_path, log_path = require_bias_audit(bundle)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    suite_name = str(report.get("bias", {}).get("suite", ""))
    if not suite_name.startswith(SHIPPED_SUITE):
        raise VerifyError(
            _(
                "the audit used its own bias suite ({suite!r}), which the bundle does not hold",
                suite=suite_name,
            ),
            _("re-run the audit with the same suite file instead"),
        )
    suite = shipped_suite(bundle, suite_name)
    if suite is None:
        raise VerifyError(
            _("the bundle's code snapshot lacks the audit's bias suite ({suite!r})",
              suite=suite_name),
            _("the audit log and the code snapshot do not belong together"),
        )  # fmt: skip
    logged = [json.loads(line) for line in record_lines(log_path.read_text(encoding="utf-8"))]
    sample = random.Random(seed).sample(logged, min(n, len(logged)))
    precision = report["model"].get("precision", "fp32")
    tolerance = TOLERANCE.get(precision, TOLERANCE["bf16"])
    again = _score(bundle, suite, [r["id"] for r in sample], report["model"], precision)
    differences = {
        (old["id"], key): _difference(old.get(key), again[old["id"]].get(key))
        for old in sample
        for key in _scored_keys(old, again[old["id"]])
    }
    problems = [
        _(
            "bias pair {id}: the log says {key} {logged}, the model gives {computed}",
            id=old["id"],
            key=key,
            logged=_shown(old.get(key)),
            computed=_shown(again[old["id"]].get(key)),
        )
        for old in sample
        for key in _scored_keys(old, again[old["id"]])
        if differences[old["id"], key] > tolerance
    ]
    note = device_note(report["model"], precision)
    recorded = str(report["model"].get("device") or "") or None
    largest = max(differences.values(), default=0.0)
    return Rerun(
        len(sample), len(logged), tolerance, problems, seed, note, recorded, precision, largest
    )


def _scored_keys(logged: dict, again: dict) -> tuple[str, ...]:
    """The numbers of a pair's record that the model computes: a v3 log's grammatical control
    too (its Δ decides the flag as much as the pair's own)."""
    control = ("control_delta",) if "control_delta" in logged or "control_delta" in again else ()
    return ("delta", "sentence_delta", *control)


def _difference(logged: object, computed: object) -> float:
    """How far a logged number is from the one computed again; a number where the other side
    has none (a control the log dropped or added) is as far as can be."""
    if logged is None or computed is None:
        return 0.0 if logged is computed else float("inf")
    if not isinstance(logged, int | float) or isinstance(logged, bool):
        return float("inf")
    return abs(float(logged) - float(computed))  # type: ignore[arg-type]


def _shown(value: object) -> str:
    return (
        f"{value:.4f}"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else str(value)
    )


def device_note(model: dict, precision: str) -> Message | None:
    """What to know when the audit's recorded device (`report.json` → model.device) is not the
    re-run's: its numbers may differ by more than the CPU's spread, for that reason alone."""
    recorded = str(model.get("device") or "")
    if recorded == RERUN_DEVICE:
        return None
    if not recorded:
        return _(
            "the audit report records no device; this re-run scores on the CPU ({precision}), "
            "so a difference may also come from the device",
            precision=precision,
        )
    return _(
        "the audit scored on {device} ({precision}), this re-run on the CPU: the tolerance was "
        "measured CPU against CPU, so a difference may come from the device",
        device=recorded,
        precision=precision,
    )


def shipped_suite(bundle: Path, suite_name: str) -> Path | None:
    """The bias suite in the bundle's code snapshot that `report.json` names, where it names
    one shipped with gemeingut (`gemeingut bias/de (CC0-1.0)`) and the snapshot holds it."""
    if not suite_name.startswith(SHIPPED_SUITE):
        return None
    language = (suite_name.removeprefix(SHIPPED_SUITE).split() or [""])[0]
    suite = bundle / TRAINING_CODE / "gemeingut" / "audit" / "suites" / "bias" / language
    return suite if language and suite.is_dir() else None


def _score(
    bundle: Path, suite: Path, ids: list[str], model: dict, precision: str
) -> dict[str, dict]:
    from gemeingut.audit.bias import read_pairs, score_pairs
    from gemeingut.audit.item_log import ItemLog
    from gemeingut.audit.target import LocalTarget

    pairs = {p.id: p for p in read_pairs(suite)}
    unknown = [i for i in ids if i not in pairs]
    if unknown:
        raise VerifyError(
            _(
                "the bias log names pairs the bundle's suite lacks: {pairs}",
                pairs=", ".join(unknown[:5]),
            ),
            _("the audit log and the code snapshot do not belong together"),
        )
    target = LocalTarget(  # on the CPU: the same numbers for every verifier
        bundle / MODEL,
        model.get("name", "model"),
        model.get("lineage", ""),
        precision=precision,
        device=RERUN_DEVICE,
    )
    with tempfile.TemporaryDirectory(prefix="gemeingut-rerun-") as tmp:
        records = score_pairs(target, [pairs[i] for i in ids], ItemLog(Path(tmp) / "bias.jsonl"))
    return {r["id"]: r for r in records}
