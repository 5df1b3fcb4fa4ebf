"""`gemeingut verify` of an audit's output folder: hashes against its MANIFEST, safe paths, the
signature against a given public key, and `report.json`'s figures computed again from its item
logs by the checks a release bundle's audit gets (`verify_audit.audit_problems`).

Those checks read the audit where a bundle holds it (`audit/`, the audit's record in
`training-metadata/lineage.json`); they are given a view of this folder in that layout, the
folder itself linked as `audit/`, its own `artifact.json` as that record. What a bundle adds
(the training documents, the code snapshot's suites) is not in an audit folder: the checks
that need it are skipped there, as for a bundle released without them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import gemeingut.audit
from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import Message, _
from gemeingut.i18n.visible import visible
from gemeingut.release.audit_folder import REPORT, audit_record
from gemeingut.release.layout import AUDIT, AUDIT_REPORT, TRAINING_CODE
from gemeingut.release.manifest import (
    MANIFEST,
    SIGNATURE,
    load_manifest,
    manifest_problems,
    shorten,
)
from gemeingut.release.verify import (
    Verified,
    failed_alone,
    failed_with,
    signature_verdict,
    with_verdict,
)
from gemeingut.release.verify_audit import LINEAGE, audit_notes, audit_problems
from gemeingut.release.verify_guard import guarded
from gemeingut.workspace import ARTIFACT_FILE, code_version

_LOGS = "logs/"
_MEMORISATION_LOG = f"{_LOGS}memorisation.jsonl"
_SUITES = Path(gemeingut.audit.__file__).parent / "suites"
# `verify_audit_judged.redteam_verdicts`' words where the suite is not in the bundle
_SUITE_NOT_HELD = (
    "the red team ran the suite {suite}, which the bundle does not hold: the answers of its "
    "`contains` probes cannot be judged again"
)


def verify_audit_folder(
    folder: Path, public_key: Path | None = None, with_signature: bool = True
) -> Verified:
    """As `verify_bundle` for a bundle: raise `BundleFailed` naming every problem, the
    signature's verdict first; else say what was checked."""
    if not (folder / MANIFEST).is_file():
        raise InputError(
            _(
                "the audit folder {folder} has no {file}",
                folder=visible(str(folder)),
                file=MANIFEST,
            ),
            _(
                "an audit writes it when it finishes; a folder an older gemeingut wrote gets "
                "it when it is signed: `gemeingut sign {folder} --key KEY` (keys from "
                "`gemeingut keys create`), where its files still hold what the audit recorded",
                folder=visible(str(folder)),
            ),
        )
    try:
        expected, manifest_digest = load_manifest(folder)
    except VerifyError as damaged:
        raise failed_alone(folder, damaged.message, damaged.hint) from None
    digests = {**expected, MANIFEST: manifest_digest}
    signed = (folder / SIGNATURE).is_file()
    signature = signature_verdict(folder, public_key, digests, signed and with_signature)
    problems: list[str | Message] = manifest_problems(folder, expected)
    notes: list[Message] = []
    if not problems:  # the logs are read only where they are the files the MANIFEST lists
        problems, notes = _report_problems(folder, expected)
    if problems or signature.failed:
        failed = [signature.said] if signature.failed and signature.said is not None else []
        listed = with_verdict(shorten([*failed, *problems]), signature, signed)
        headline = _(
            "audit folder {folder} fails verification{problems}",
            folder=visible(str(folder)),
            problems=listed,
        )
        hint = _("the audit folder was altered after the audit; obtain an unmodified copy")
        raise failed_with(folder, headline, hint, signature, [*failed, *problems], None, signed,
                          len(expected))  # fmt: skip
    return Verified(
        folder, len(expected), signature.signed_by, signed, digests, signature.said,
        notes=tuple(notes),
    )  # fmt: skip


def _report_problems(
    folder: Path, expected: dict[str, str]
) -> tuple[list[str | Message], list[Message]]:
    """`audit_problems` and `audit_notes` of `folder`, seen as a bundle's `audit/`; its
    `artifact.json` is read after the MANIFEST check, as the files it lists."""
    record = audit_record(folder) or {}
    ours = record.get("code") == code_version()  # the same source: the suites it ran
    with tempfile.TemporaryDirectory(prefix="gemeingut-audit-view-") as view:
        root = Path(view)
        (root / AUDIT).symlink_to(folder.resolve(), target_is_directory=True)
        listed = {f"{AUDIT}/{rel}": digest for rel, digest in expected.items()}
        # its settings (the seed) and figures, where a bundle records them
        (root / LINEAGE).parent.mkdir(parents=True)
        (root / LINEAGE).write_text(json.dumps({"audit": record}), encoding="utf-8")
        if ours:  # the suites, where a bundle's code snapshot holds them
            suites = root / TRAINING_CODE / "gemeingut" / "audit" / "suites"
            suites.parent.mkdir(parents=True)
            suites.symlink_to(_SUITES, target_is_directory=True)
        problems = guarded(lambda: audit_problems(root, listed, alone=True), AUDIT_REPORT)
        notes = audit_notes(root, listed)
    unjudged = [p for p in problems if isinstance(p, Message) and p.msgid == _SUITE_NOT_HELD]
    if unjudged and not ours:  # what a bundle lacks is a problem; an audit folder never has it
        problems = [p for p in problems if p not in unjudged]
        notes.append(
            _(
                "the answers of the red team's `contains` probes are not judged again: the "
                "audit ran with {theirs}, whose suites this gemeingut ({ours}) does not hold",
                theirs=str(record.get("code", "?")),
                ours=code_version(),
            )
        )
    logs = [rel for rel in expected if rel.startswith(_LOGS) and rel.endswith(".jsonl")]
    if logs:  # said first: what was computed again, then what was not
        notes.insert(
            0,
            _(
                "the figures of {report} agree with its item logs, computed again from {logs}",
                report=REPORT,
                logs=", ".join(logs),
            ),
        )
    if _MEMORISATION_LOG in expected:
        notes.append(
            _(
                "the memorisation figures are computed from {log}; its samples are not drawn "
                "and judged again, which needs the training documents and the model's "
                "tokenizer that a release bundle holds and an audit folder does not",
                log=_MEMORISATION_LOG,
            )
        )
    return list(dict.fromkeys(_in_folder(p) for p in problems)), notes


def _in_folder(problem: str | Message) -> str | Message:
    """A problem the view's checks found, naming the files as the folder holds them (its
    report.json, not audit/report.json; its artifact.json, not the view's lineage)."""
    if type(problem) is not Message:
        return problem
    values = {
        name: ARTIFACT_FILE
        if value == LINEAGE
        else value.removeprefix(f"{AUDIT}/")
        if isinstance(value, str)
        else value
        for name, value in problem.values.items()
    }
    return Message(problem.msgid, values)
