"""`verify --rerun`'s re-runs as the command says them: a line each when they agree, the
bundle failed (exit 1) with what differs named when they do not (`checked`), and the task
sample's and validation loss's records in `--json`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gemeingut.i18n import Message, _, text
from gemeingut.json_records import read_object
from gemeingut.release.layout import FINETUNE_RECORD
from gemeingut.release.manifest import shorten
from gemeingut.release.rerun_tasks import (
    DEVICE,
    PRECISION,
    TASK_LOG,
    TaskRerun,
    rerun_task_sample,
)
from gemeingut.release.rerun_validation import TRAINING, ValidationRerun, rerun_validation


class _Again(Protocol):
    @property
    def problems(self) -> list[Message]: ...


R = TypeVar("R", bound=_Again)


def checked(
    bundle: Path,
    files: int,
    file: str,
    run: Callable[[], R],
    said: Callable[[R], Message],
    hint: Message,
) -> R:
    """`run`'s re-run of `file`'s numbers; a record it cannot read, or a disagreement
    (`said`), fails the bundle whose `files` all matched the MANIFEST, a device the record
    names (`device_note`, the likelier cause) before `hint`."""
    from gemeingut.release.verify import failed_alone
    from gemeingut.release.verify_guard import READ_ERRORS, unreadable

    try:
        again = run()
    except READ_ERRORS as exc:
        raise failed_alone(
            bundle, unreadable(exc, file), getattr(exc, "hint", "") or "", files
        ) from None
    if not again.problems:
        return again
    device: Message | None = getattr(again, "device_note", None)
    if device is not None:
        hint = _("{device}; or {hint}", device=device, hint=hint)
    raise failed_alone(bundle, said(again), hint, files)


def rerun_tasks_checked(bundle: Path, n: int, seed: int, files: int) -> TaskRerun:
    """The task sample re-run (`checked`)."""
    return checked(
        bundle, files, TASK_LOG, lambda: rerun_task_sample(bundle, n, seed),
        lambda again: _("re-running {checked} task items (--seed {seed}) disagrees with the "
                        "bundle: {problems}", checked=str(again.checked), seed=str(seed),
                        problems=shorten(again.problems)),
        _("the audit's task results were altered, or they are not of this model"),
    )  # fmt: skip


def rerun_validation_checked(bundle: Path, files: int) -> ValidationRerun:
    """The final validation loss re-computed (`checked`)."""
    return checked(
        bundle, files, TRAINING, lambda: rerun_validation(bundle),
        lambda again: _("computing the validation loss again disagrees with the bundle: "
                        "{problems}", problems=shorten(again.problems)),
        _("the training record was altered, or it is not of this model and data"),
    )  # fmt: skip


def say_more(tasks: TaskRerun | None, validation: ValidationRerun | None, bundle: Path) -> None:
    """A line for the task sample and one for the validation loss, or why there is none."""
    from gemeingut.cli.common import say

    if tasks is None:
        say(" ", _("no task items in the bundle ({log}): no tasks re-run", log=TASK_LOG))
    else:
        _said(_tasks_said(tasks), tasks.device_note)
    if validation is not None:
        _said(_(
            "computed the final validation loss again on {windows} validation windows "
            "({precision}): within {tolerance} nats of {file}", windows=validation.windows,
            precision=validation.precision, tolerance=validation.tolerance, file=TRAINING,
        ), validation.device_note)  # fmt: skip
    else:
        reason = not_rerun(bundle)
        if reason is not None:
            say(" ", reason)


def not_rerun(bundle: Path) -> Message | None:
    """Why a fine-tune's bundle has no validation loss re-run, from the records it holds: a
    pretraining's record beside it measured other weights, and the fine-tune's own record
    measured what its output (`finetune_state`) says; None for a bundle of no fine-tune."""
    if not (bundle / FINETUNE_RECORD).is_file():
        return None
    hint = _("restore {file} from the release", file=FINETUNE_RECORD)
    record = read_object(bundle / FINETUNE_RECORD, hint) or {}
    output = record.get("output")
    dtype = record.get("base_weights_dtype") or _("a dtype not recorded")
    if output == "lora-adapter":
        finetune = _(
            "{finetune} measured the adapter over base weights in {dtype}, and this bundle "
            "holds the adapter without the base's weights", finetune=FINETUNE_RECORD, dtype=dtype,
        )  # fmt: skip
    elif output == "merged":
        finetune = _(
            "{finetune} measured the adapter over base weights in {dtype}, not the merged "
            "weights this bundle publishes", finetune=FINETUNE_RECORD, dtype=dtype,
        )  # fmt: skip
    else:
        finetune = _(
            "{finetune} measured the fine-tune's weights on examples held back from its data, "
            "and verify --rerun computes only a pretraining's validation loss again",
            finetune=FINETUNE_RECORD,
        )  # fmt: skip
    if not (bundle / TRAINING).is_file():
        return _("validation loss not re-run: {finetune}", finetune=finetune)
    return _(
        "validation loss not re-run: {training} measured the base's weights, not the "
        "fine-tune's this bundle publishes, and {finetune}", training=TRAINING, finetune=finetune,
    )  # fmt: skip


def _tasks_said(tasks: TaskRerun) -> Message:
    """The task sample's line: within what tolerance, and the largest difference measured;
    a sample of generated answers alone (no log-likelihood) compared them for equality."""
    if tasks.largest is None:
        return _(
            "re-ran {checked} of {total} task items with lm-eval: every answer and metric "
            "equal to {log}, whose items give the report's accuracies", checked=tasks.checked,
            total=tasks.total, log=TASK_LOG,
        )  # fmt: skip
    return _(
        "re-ran {checked} of {total} task items with lm-eval: all within {tolerance} nats of "
        "{log} (the largest difference: {largest} nats), whose items give the report's "
        "accuracies", checked=tasks.checked, total=tasks.total, tolerance=tasks.tolerance,
        log=TASK_LOG, largest=nats(tasks.largest),
    )  # fmt: skip


def nats(difference: float | None) -> float | str:
    """A difference measured by a re-run, to two significant digits (0 where equal)."""
    return "–" if difference is None else float(f"{difference:.2g}")


def _said(message: Message, note: Message | None) -> None:
    from gemeingut.i18n import current_language
    from gemeingut.progress import console

    lang = current_language()
    console.print("[green]✓[/] " + text(message, lang), soft_wrap=True)
    if note is not None:
        console.print("  " + text(note, lang), soft_wrap=True)


def tasks_record(again: TaskRerun | None) -> dict[str, Any] | None:
    """The task sample for `verify --json`: how many of the log's items, and how compared."""
    if again is None:
        return None
    return {
        "file": TASK_LOG,
        "checked": again.checked,
        "total": again.total,
        "tolerance": again.tolerance,
        "largest_difference": again.largest,  # nats of a choice's log-likelihood
        "device": DEVICE,
        "precision": PRECISION,
        **_notes(again.device_note),
    }


def validation_record(again: ValidationRerun | None) -> dict[str, Any] | None:
    """The validation loss for `verify --json`: the windows scored and how compared."""
    if again is None:
        return None
    return {
        "file": TRAINING,
        "windows": again.windows,
        "tolerance": again.tolerance,
        "device": DEVICE,
        "precision": again.precision,
        **_notes(again.device_note),
    }


def _notes(note: Message | None) -> dict[str, str | None]:
    """The device note as a person reads it (German) and in English, as the details."""
    return {
        "note": None if note is None else text(note, "de"),
        "note_en": None if note is None else text(note, "en"),
    }
