"""`gemeingut verify --json`: the verdict as a record a script reads, in the shape of
`openness rate --json` (English details, the rating's own keys).

`ok`, the signature's verdict, every problem with the file it names and its kind, and the
rating computed again from the files (MOF class, OSAID gate) where the files could be read;
with `--rerun`, the sample scored again and the devices the audit and the re-run scored on,
and the evaluation's test data scored again (each null where the bundle holds none).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.i18n import Message, text
from gemeingut.release.manifest import SIGNATURE
from gemeingut.release.verify import BundleFailed, Verified
from gemeingut.release.verify_data_statement import AT_LINE
from gemeingut.release.verify_statement_rendered import RENDERED_LINE
from gemeingut.release.verify_wording import OlderWording

if TYPE_CHECKING:
    from gemeingut.release.rerun import Reran, Rerun
    from gemeingut.release.rerun_evaluation import EvaluationRerun

# the kind of a problem, by the message that names it; any other is a claim that the files
# do not bear out (a document, a number, a rating)
_KINDS = {
    "changed: {file}": "changed",
    "missing: {file}": "missing",
    "extra: {file}": "extra",
    "extra: {file}/ is an empty folder, which no line of the MANIFEST lists": "extra",
    "unsafe path {path!r}: {why}": "unsafe-path",
    "unsafe link: {file}": "unsafe-link",
    "not a regular file: {file}": "special-file",
    "incomplete: no {name}/ artifact": "incomplete",
    "{file} holds what is recorded for {other} (in {sources})": "swapped",
    "{first} and {second} are swapped: each holds what is recorded for the other (in "
    "{sources})": "swapped",
    "{names} differ only in their Unicode normalisation (NFC and NFD spell the same "
    "characters): they look alike but are different files": "unicode-normalisation",
    "built by {theirs} in an older bundle format, without {what}, which this version "
    "({ours}) writes and checks": "older-format",
    "built by {theirs} in a newer bundle format: its {file} lists the check {checks}, "
    "which this version ({ours}) does not know": "newer-format",
    "built by {theirs} in a newer bundle format: its {file} lists the checks {checks}, "
    "which this version ({ours}) does not know": "newer-format",
}

# a record (Croissant, DCAT-AP.de) that states something of a data file the bundle holds
# otherwise: `file` is the record, `about` the data file, `part` the record's part saying it
_STATED_ABOUT = {
    "{source} gives {name} the sha256 {digest}…, but {path} has {actual}…",
    "{source}: {part} gives {name} the sha256 {digest}…, but {path} has {actual}…",
    "{source} names {name}, which the bundle does not hold",
    "{path} is not described in {source}",
}
# a document's line that states other than its evidence gives: `line`, its number
_AT_LINE = {*AT_LINE, RENDERED_LINE}


def verified_record(checked: Verified, rerun: Reran | None = None) -> dict[str, Any]:
    """A bundle that passed; with `rerun`, the sample of the audit scored again (its seed
    repeats it) and the evaluation's test data scored again."""
    signature = {
        "present": checked.signature_present,
        "checked": checked.signed_by is not None,
        "valid": True if checked.signed_by is not None else None,
        "manifest_signed": True if checked.signed_by is not None else None,
        "key": checked.signed_by,
        "verdict": _english(checked.signature),
    }
    record = _record(checked.bundle, True, checked.files, signature, [], checked.rating)
    record["notes"] = [_english(note) for note in checked.notes]
    if rerun is not None:
        from gemeingut.release.rerun_checked import tasks_record, validation_record

        bias = rerun.bias
        record["rerun"] = {
            "seed": rerun.seed,
            "checked": None if bias is None else bias.checked,
            "total": None if bias is None else bias.total,
            "tolerance": None if bias is None else bias.tolerance,
            "largest_difference": None if bias is None else bias.largest,  # nats, any pair
            "device": None if bias is None else _devices(bias),
            "evaluation": _evaluation(rerun.evaluation),
            "tasks": tasks_record(rerun.tasks),
            "validation": validation_record(rerun.validation),
        }
    return record


def _evaluation(again: EvaluationRerun | None) -> dict[str, Any] | None:
    """The evaluation scored again: all its test documents, on the CPU in fp32 as it was."""
    from gemeingut.release.rerun_evaluation import DEVICE, EVALUATION, PRECISION

    if again is None:
        return None
    return {
        "file": EVALUATION,
        "documents": again.documents,
        "tokens": again.tokens,
        "batch_size": again.batch_size,
        "tolerance": again.tolerance,
        "largest_difference": again.largest,  # nats of loss
        "device": DEVICE,
        "precision": PRECISION,
    }


def _devices(rerun: Rerun) -> dict[str, Any]:
    """Where the audit scored and where this re-run did, as a pair a script compares, and the
    note the text output prints where they differ (the tolerance was measured CPU against
    CPU): in German, as a person reads it, and in English, as the details above."""
    from gemeingut.release.rerun import RERUN_DEVICE

    note = rerun.device_note
    return {
        "audit": rerun.audit_device,
        "rerun": RERUN_DEVICE,
        "precision": rerun.precision,
        "same": rerun.audit_device == RERUN_DEVICE,
        "note": None if note is None else text(note, "de"),
        "note_en": _english(note),
    }


def failed_record(error: BundleFailed) -> dict[str, Any]:
    """A bundle that failed: each problem found, or the one that stopped the check (a
    damaged MANIFEST, an audit sample that disagrees); the signature as far as it was
    checked (valid with the key given, though other files fail)."""
    failure = error.failure
    checked = failure.signature_failed or failure.signed_by is not None
    valid = failure.other_files or not failure.signature_failed  # the key made it, for what
    signature = {
        "present": failure.signature_present,
        "checked": checked,
        "valid": valid if checked else None,
        # the MANIFEST the key signed, or one rewritten since (unknown without a valid one)
        "manifest_signed": (not failure.other_files) if checked and valid else None,
        "key": failure.key,
        "verdict": _english(failure.signature),
    }
    problems = [_problem(p) for p in failure.problems]
    if failure.signature_failed and problems:
        kind = "changed-after-signing" if failure.other_files else "signature"
        problems[0] = {**problems[0], "file": SIGNATURE, "kind": kind}
    return _record(failure.bundle, False, failure.files, signature, problems, failure.rating)


def _record(
    bundle: Path,
    ok: bool,
    files: int,
    signature: dict[str, Any] | None,
    problems: list[dict[str, Any]],
    rating: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "bundle": str(bundle),
        "ok": ok,
        "files": files,
        "signature": signature,
        "problems": problems,
        "open": rating["open"] if rating else None,
        # as openness.json has it: `conditional` true where class 3 rests on the final
        # weights alone, which the text says as "no class reached"
        "mof": {k: rating["mof"].get(k) for k in ("class", "label", "conditional")}
        if rating
        else None,
        "osaid": rating["osaid"] if rating else None,
    }


def _problem(problem: str | Message) -> dict[str, Any]:
    values = problem.values if isinstance(problem, Message) else {}
    msgid = problem.msgid if isinstance(problem, Message) else None
    kind = _KINDS.get(msgid, "claim") if msgid is not None else "claim"
    if isinstance(problem, OlderWording):  # may be only reworded: the fix is a key, not a file
        kind = "older-wording"
    # the file the problem is in; a recipe or a report whose statement differs from its record
    named = (values.get(key) for key in ("file", "path", "first", "recipe", "report"))
    where = next((value for value in named if value is not None), None)
    if kind == "incomplete":
        where = f"{values['name']}/"
    found = {"file": _path(where), "kind": kind, "detail": _english(problem)}
    if msgid in _STATED_ABOUT:  # the record states it wrongly: where to look is the record
        found["file"] = _path(values["source"])
        found["about"] = _path(values.get("path", values.get("name")))
        if values.get("part") is not None:
            found["part"] = str(values["part"])  # the record's part that states it
    if msgid in _AT_LINE:
        found["line"] = int(values["line"])
    return found


def _path(where: Any) -> str | None:
    """The path itself, not its escaped reading (`ShownName`)."""
    where = getattr(where, "raw", where)
    return str(where) if where is not None else None


def _english(message: str | Message | None) -> str | None:
    return None if message is None else text(message, "en")
