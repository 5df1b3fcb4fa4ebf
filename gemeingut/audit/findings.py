"""Community findings: what people found when they red-teamed or bias-tested a model, with a
status that a maintainer sets after checking it.

A findings file is JSONL, one finding per line:
`id, category, prompt, response, model, reporter, reported_at, report_note, redacted, status,
duplicate_of, note, updated_at`. `import` reads a campaign's submissions (JSONL or CSV with at
least category, prompt and response), gives each a stable id (a hash of what was found, so
importing the same file twice adds nothing), marks repeats of an earlier finding as duplicates
and sets them to `new`; `triage` sets a status and the note that goes with that decision (each
triage replaces the note: a finding rejected "kein Befund" and confirmed later must not keep
that reason). What the reporter wrote beside the finding (a submission's `note`) is kept apart
as `report_note`, which no triage changes: it is the reporter's evidence, not a reason for a
decision. `merge` joins files from several campaigns, keeping for each id the most recently
updated version. Files are rewritten under a temp name and renamed, so a crash never leaves
half a file, and every change of a file holds its lock (`.NAME.lock` beside it while held,
removed after), so that a server storing a report and `gemeingut admin users remove` erasing
one never undo each other. A finding's category is one of `CATEGORIES`, the kinds the server's
page offers and every language names.

A findings file is published with the audit, so no personal data that the safety policy's
detectors find is kept in it: e-mail addresses, phone numbers, IBANs … in what was asked and
answered and in either note are replaced by placeholders (<EMAIL> …) before a finding is
stored, as a `pii` rule of the policy replaces them before the model sees them, and `redacted`
lists the kinds replaced (the evidence of a `privacy` finding: which kind the model gave away).
A line written before findings were redacted (no `redacted`) is redacted as it is read, so
it leaves no copy, triage or merge as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import fcntl
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, get_args

from gemeingut.data.pii import PII_TYPES
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_json
from gemeingut.i18n import Message, _
from gemeingut.json_records import json_problem, read_utf8, record_lines
from gemeingut.workspace import write_text_atomic

STATUSES = ("new", "confirmed", "rejected")
# What a person reads for a status (the file and the API keep the English value).
STATUS_NAMES: dict[str, Message] = {
    "new": _("new"),
    "confirmed": _("confirmed"),
    "rejected": _("rejected"),
}
REQUIRED = ("category", "prompt", "response")
FIELDS = (
    "id",
    "category",
    "prompt",
    "response",
    "model",
    "reporter",
    "reported_at",
    "report_note",
    "redacted",
    "status",
    "duplicate_of",
    "note",
    "updated_at",
)
NOTE_MAX = 4000  # characters of a note (the reporter's or a decision's): a reason, not a document
# Fields a file written before they existed lacks: read as null, written from then on.
ADDED_LATER = ("report_note", "redacted")
# What people wrote, which may hold personal data: redacted before it is stored.
WRITTEN = ("prompt", "response", "report_note", "note")
# The reporter of a finding whose person was erased (`forget_reporter`), and of any without one.
ANONYMOUS = "anonymous"
# The kinds of finding (as the server's page offers them): a made-up one has no name to show.
# The kinds of finding the page offers and every language names (the server's API takes these).
CategoryName = Literal["bias", "harmful", "wrong", "privacy", "other"]
CATEGORIES: tuple[str, ...] = get_args(CategoryName)
HINT = _(
    "a finding needs category, prompt and response; see `gemeingut audit findings import --help`"
)


def read_findings(path: Path) -> list[dict[str, Any]]:
    """A findings file; a missing file is an empty list (the first import creates it). A
    finding from before redaction comes redacted (`_redact`)."""
    if not path.exists():
        return []
    findings = [_checked(f, where) for f, where in _rows(path)]
    for finding in findings:
        if finding["redacted"] is None:
            _redact(finding)
    return findings


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the findings file `path` for one read, change and write: across processes (a
    server and the CLI) and threads, each with its own open lock file, which its holder
    removes before it lets go (a lock won on a file removed meanwhile is tried again), so that
    no lock file stays beside the findings file."""
    if not path.parent.is_dir():
        raise InputError(
            _("folder {folder} does not exist", folder=path.parent),
            _("name a findings file in a folder that exists, or create the folder first"),
        )
    lock = path.with_name(f".{path.name}.lock")
    while True:
        handle = lock.open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            current = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:  # its holder removed it before we got it
            current = False
        if current:
            break
        handle.close()
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        handle.close()


def import_findings(
    sources: list[Path], into: Path, model: str | None, reporter: str | None
) -> dict[str, int]:
    """Add the submissions in `sources` to the findings file `into`."""
    with locked(into):
        return _import(sources, into, model, reporter)


def _import(
    sources: list[Path], into: Path, model: str | None, reporter: str | None
) -> dict[str, int]:
    findings = read_findings(into)
    known = {f["id"] for f in findings}
    before = sum(f["duplicate_of"] is not None for f in findings)
    now = _now()
    added = 0
    for source in sources:
        if not source.is_file():
            raise InputError(
                _("submissions file {path} does not exist", path=source), _("check the path")
            )
        for row, where in _rows(source):
            finding = _new_finding(row, where, model, reporter, now)
            if finding["id"] not in known:
                findings.append(finding)
                known.add(finding["id"])
                added += 1
    _mark_duplicates(findings)
    duplicates = sum(f["duplicate_of"] is not None for f in findings) - before
    write_findings(into, findings)
    return {"added": added, "duplicates": duplicates, "total": len(findings)}


def submit_finding(
    into: Path, submission: dict[str, Any], model: str, reporter: str | None
) -> dict[str, Any]:
    """One finding sent from the server's page, stored as `import` stores one (redacted, the
    same id, repeats of an earlier finding marked); the same finding sent twice is stored once."""
    finding = _new_finding(submission, _("the submission"), model, reporter, _now())
    with locked(into):
        findings = read_findings(into)
        stored = next((f for f in findings if f["id"] == finding["id"]), None)
        if stored is not None:
            return stored
        findings.append(finding)
        _mark_duplicates(findings)
        write_findings(into, findings)
    return finding


def forget_reporter(path: Path, reporter: str) -> dict[str, int]:
    """Erase a person's reports (Art. 17 DSGVO) from the findings file `path`: those not
    confirmed (new or rejected) go, and a confirmed one keeps what was found but no longer
    names the reporter (`anonymous`). How many of each.

    A report not yet confirmed is the person's alone: no audit has published it and nothing
    outweighs their right to erasure, so it goes whole. A confirmed one is a checked fact about
    the model that an audit report and a release bundle may already cite by its id; that fact
    is not personal data (its text was redacted before it was stored), only the pseudonym is,
    which links the report to the audit log's records of the person. It is erased and the
    id kept (the id is no pseudonym: it comes from the content, and the pseudonym can no
    longer be made from the name once the person is removed); `updated_at` moves on, so that
    a `merge` with an older copy keeps the version without the pseudonym. A finding marked
    as a repeat of an erased one is marked anew."""
    if not path.is_file():
        return {"removed": 0, "anonymised": 0}
    with locked(path):
        findings = read_findings(path)
        theirs = [f for f in findings if f["reporter"] == reporter]
        gone = {f["id"] for f in theirs if f["status"] != "confirmed"}
        kept = [f for f in findings if f["id"] not in gone]
        now = _now()
        for finding in kept:
            if finding["reporter"] == reporter:
                finding["reporter"] = ANONYMOUS
                finding["updated_at"] = now
            if finding["duplicate_of"] in gone:
                finding["duplicate_of"] = None
        if theirs:
            _mark_duplicates(kept)
            write_findings(path, kept)
    return {"removed": len(gone), "anonymised": len(theirs) - len(gone)}


def triage(
    path: Path, finding_id: str, status: str, duplicate_of: str | None, note: str | None
) -> dict[str, Any]:
    """Set a finding's status; `note` (why) replaces the note of any earlier decision, and
    none (or blanks) leaves the finding without one."""
    if status not in STATUSES:
        raise InputError(
            _("unknown status {status!r}", status=status),
            _("choose from {choices}", choices=", ".join(STATUSES)),
        )
    note = note.strip() if note is not None and note.strip() else None
    if note is not None and len(note) > NOTE_MAX:
        raise InputError(
            _(
                "the note has {length} characters; a triage note may have at most {limit}",
                length=len(note),
                limit=NOTE_MAX,
            ),
            _("shorten the note"),
        )
    if not path.is_file():
        raise InputError(_("findings file {path} does not exist", path=path), _("check the path"))
    with locked(path):
        return _triage(path, finding_id, status, duplicate_of, note)


def _triage(
    path: Path, finding_id: str, status: str, duplicate_of: str | None, note: str | None
) -> dict[str, Any]:
    findings = read_findings(path)
    ids = {f["id"] for f in findings}
    if finding_id not in ids:
        raise InputError(
            _("{path} holds no finding {id!r}", path=path, id=finding_id), _("check the id")
        )
    if duplicate_of is not None and (duplicate_of not in ids or duplicate_of == finding_id):
        raise InputError(
            _(
                "--duplicate-of {id!r} is not another finding in {path}",
                id=duplicate_of,
                path=path,
            ),
            _("name the id of the finding this one repeats"),
        )
    for finding in findings:
        if finding["id"] == finding_id:
            finding["status"] = status
            if duplicate_of is not None:
                finding["duplicate_of"] = duplicate_of
            finding["note"] = note
            finding["updated_at"] = _now()
            _redact(finding)  # the note
            changed = finding
    write_findings(path, findings)
    return changed


def merge(sources: list[Path], out: Path) -> dict[str, int]:
    """All findings of `sources`; for an id in several, the most recently updated wins. `out`
    held locked throughout: it may be the server's file, and one of the sources."""
    with locked(out):
        return _merge(sources, out)


def _merge(sources: list[Path], out: Path) -> dict[str, int]:
    merged: dict[str, dict[str, Any]] = {}
    for source in sources:
        if not source.is_file():
            raise InputError(
                _("{path} is not a findings file", path=source),
                _("name the .jsonl files to join"),
            )
        for finding in read_findings(source):
            current = merged.get(finding["id"])
            # A tie goes to the file named later, as a newer export usually is.
            if current is None or finding["updated_at"] >= current["updated_at"]:
                merged[finding["id"]] = finding
    findings = sorted(merged.values(), key=lambda f: (f["reported_at"], f["id"]))
    _mark_duplicates(findings)
    write_findings(out, findings)
    return {"findings": len(findings), "sources": len(sources)}


def _mark_duplicates(findings: list[dict[str, Any]]) -> None:
    """Findings from different campaigns that repeat an earlier one (by `_key`) become its
    duplicates; a duplicate_of set at triage is kept."""
    first_of: dict[tuple[str, str, str], str] = {}
    for finding in findings:
        if finding["duplicate_of"] is not None:
            continue
        original = first_of.setdefault(_key(finding), finding["id"])
        if original != finding["id"]:
            finding["duplicate_of"] = original


def published(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings an audit publishes (its `findings.jsonl`): the confirmed ones. One not yet
    checked or rejected stays where it was reported: nobody has read it for what no detector
    finds (a name), and the page tells reporters that a report is published once confirmed.
    The audit report counts them all."""
    return [f for f in findings if f["status"] == "confirmed"]


def about_model(
    findings: list[dict[str, Any]], model: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The findings about `model`, and how many about each other model were left out: a
    findings file may gather a campaign's findings about several models, and an audit reports
    only on the one it audited."""
    others = Counter(str(f["model"]) for f in findings if f["model"] != model)
    return [f for f in findings if f["model"] == model], dict(sorted(others.items()))


def summarize_findings(
    findings: list[dict[str, Any]], other_models: dict[str, int] | None = None
) -> dict[str, Any]:
    by_status = Counter(f["status"] for f in findings)
    by_category: dict[str, Counter[str]] = {}
    for finding in findings:
        by_category.setdefault(finding["category"], Counter())[finding["status"]] += 1
    return {
        "findings": len(findings),
        "duplicates": sum(f["duplicate_of"] is not None for f in findings),
        "by_status": {s: by_status.get(s, 0) for s in STATUSES},
        "by_category": {
            c: {s: n.get(s, 0) for s in STATUSES} for c, n in sorted(by_category.items())
        },
        "confirmed": [
            {k: f[k] for k in ("id", "category", "prompt", "reporter", "reported_at")}
            for f in findings
            if f["status"] == "confirmed" and f["duplicate_of"] is None
        ],
        **({"other_models": other_models} if other_models else {}),
    }


def write_findings(path: Path, findings: Iterable[dict[str, Any]]) -> None:
    lines = (json.dumps({k: f.get(k) for k in FIELDS}, ensure_ascii=False) + "\n" for f in findings)
    write_text_atomic(path, "".join(lines))


def _rows(path: Path) -> Iterable[tuple[dict[str, Any], str]]:
    text = read_utf8(path)
    if path.suffix == ".csv":
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
            yield dict(row), f"{path}:{number}"
        return
    for number, line in enumerate(record_lines(text), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                _(
                    "{where}: not valid JSON ({error})",
                    where=f"{path}:{number}",
                    error=json_problem(exc),
                ),
                HINT,
            ) from None
        if not isinstance(row, dict):
            raise InputError(_("{where}: expected a JSON object", where=f"{path}:{number}"), HINT)
        yield row, f"{path}:{number}"


def _new_finding(
    row: dict[str, Any], where: str | Message, model: str | None, reporter: str | None, now: str
) -> dict[str, Any]:
    for field in REQUIRED:
        if not isinstance(row.get(field), str) or not row[field].strip():
            raise InputError(
                _("{where}: field {field!r} is missing or empty", where=where, field=field), HINT
            )
    for field in ("model", "reporter", "reported_at", "note"):
        if row.get(field) is not None and not isinstance(row[field], str):
            raise InputError(
                _("{where}: field {field!r} must be text", where=where, field=field), HINT
            )
    finding = {
        "category": _category(row["category"], where),
        "prompt": row["prompt"],
        "response": row["response"],
        "model": row.get("model") or model,
        "reporter": row.get("reporter") or reporter or ANONYMOUS,
        "reported_at": row.get("reported_at") or now,
        "report_note": row.get("note"),
        "redacted": [],
        "status": "new",
        "duplicate_of": None,
        "note": None,
        "updated_at": now,
    }
    if finding["model"] is None:
        raise InputError(
            _("{where}: no model named", where=where), _("add a `model` field or pass --model")
        )
    _redact(finding)  # before the id, which must not be a hash of personal data
    content = {k: finding[k] for k in ("category", "prompt", "response", "model", "reporter")}
    finding["id"] = "f-" + sha256_json(content)[:12]
    return finding


def _category(value: str, where: str | Message) -> str:
    """A known category in any case and spacing ("Bias "), or an error naming the closest."""
    name = value.strip().lower()
    if name in CATEGORIES:
        return name
    known = ", ".join(CATEGORIES)
    close = difflib.get_close_matches(name, CATEGORIES, n=1, cutoff=0.5)
    raise InputError(
        _("{where}: unknown category {category!r}", where=where, category=value),
        _("did you mean {name!r}? The categories: {categories}", name=close[0], categories=known)
        if close
        else _("use one of: {categories}", categories=known),
    )


def _redact(finding: dict[str, Any]) -> None:
    """Replace the personal data in what `finding`'s people wrote, as the safety policy's
    `pii` rule does (every kind it knows, whatever a deployment's policy asks for: the file is
    published), and add the kinds replaced to `redacted` (in the detectors' order)."""
    from gemeingut.serve.gateway.policy import redact_personal_data

    found = set(finding["redacted"] or ())
    for field in WRITTEN:
        if finding[field] is not None:
            finding[field], kinds = redact_personal_data(finding[field])
            found.update(kinds)
    finding["redacted"] = [kind for kind in PII_TYPES if kind in found]


def _checked(finding: dict[str, Any], where: str) -> dict[str, Any]:
    for key in ADDED_LATER:
        finding.setdefault(key, None)
    missing = [k for k in FIELDS if k not in finding]
    if missing:
        raise InputError(
            _(
                "{where}: not a findings file line, {fields} missing",
                where=where,
                fields=", ".join(missing),  # field names, not a Python list
            ),
            _("pass a file written by `gemeingut audit findings import`"),
        )
    redacted = finding["redacted"]
    if redacted is not None and (
        not isinstance(redacted, list) or not all(kind in PII_TYPES for kind in redacted)
    ):
        raise InputError(
            _(
                "{where}: field {field!r} must list kinds of personal data ({kinds}) or be null",
                where=where,
                field="redacted",
                kinds=", ".join(PII_TYPES),
            ),
            _("fix that line, or import the submission again"),
        )
    for key in FIELDS:
        if key == "redacted":
            continue
        optional = key in ("duplicate_of", "note", *ADDED_LATER)
        if not isinstance(finding[key], str) and not (optional and finding[key] is None):
            kind = _("text or null") if optional else _("text")
            raise InputError(
                _("{where}: field {field!r} must be {kind}", where=where, field=key, kind=kind),
                _("fix that line, or import the submission again"),
            )
    if finding["status"] not in STATUSES:
        raise InputError(
            _("{where}: unknown status {status!r}", where=where, status=finding["status"]),
            _("choose from {choices}", choices=", ".join(STATUSES)),
        )
    return finding


def _key(finding: dict[str, Any]) -> tuple[str, str, str]:
    """Two findings repeat each other when they attack the same model the same way."""
    prompt = re.sub(r"\s+", " ", finding["prompt"].casefold()).strip()
    return finding["category"].casefold(), prompt, str(finding["model"])


def _now() -> str:
    """Microseconds, so that an import and a triage within one second stay in order."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
