"""An audit's output folder as a publishable artifact: a MANIFEST like a release bundle's, so
that `gemeingut sign` and `gemeingut verify` treat it as they treat a bundle.

The MANIFEST is written only from files that still hold what the audit recorded for them in
`artifact.json` (written as it finished): a folder edited since is refused, not vouched for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.i18n.visible import visible
from gemeingut.release.layout import FIVE_ARTIFACTS, RELEASE_INFO
from gemeingut.release.manifest import (
    MANIFEST,
    hash_files,
    manifest_problems,
    remove_empty_folders,
    shorten,
    write_manifest,
)
from gemeingut.workspace import ARTIFACT_FILE

REPORT = "report.json"  # the audit's REPORT_JSON: the audit package is not imported to learn it


def audit_record(folder: Path) -> dict[str, Any] | None:
    """The `artifact.json` of an audit's output folder, or None where `folder` is none (a
    release bundle, a folder of another stage, an unreadable record: each checked as before)."""
    try:
        record = json.loads((folder / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("kind") != "audit":
        return None
    # a release bundle with an audit's record put in is still a bundle, checked as one: a
    # tampered bundle must not pass as an audit folder, whose checks are fewer
    if any((folder / name).exists() for name in (*FIVE_ARTIFACTS, RELEASE_INFO)):
        return None
    return record if (folder / REPORT).is_file() else None


def is_audit_folder(folder: Path) -> bool:
    return audit_record(folder) is not None


def write_audit_manifest(folder: Path) -> int | None:
    """Write `folder`'s MANIFEST where it has none; returns the number of files listed (None
    where a MANIFEST is there already: `verify` checks it). Refused where a file differs from
    what `artifact.json` recorded, is missing, or was added since."""
    if (folder / MANIFEST).exists():
        return None
    record = audit_record(folder)
    recorded = record.get("files") if record is not None else None
    if not isinstance(recorded, dict):
        raise InputError(
            _("{path} is not the output folder of an audit", path=visible(str(folder))),
            _("pass the folder `gemeingut audit run --out` wrote"),
        )
    expected = {rel: str(digest).removeprefix("sha256:") for rel, digest in recorded.items()}
    expected[ARTIFACT_FILE] = hash_files(folder, [ARTIFACT_FILE])[ARTIFACT_FILE]
    remove_empty_folders(folder)  # as `write_manifest` does (an audit without plots leaves one)
    problems = manifest_problems(folder, expected)
    if problems:
        raise InputError(
            _(
                "{path} differs from what the audit recorded in {file}; no MANIFEST written:"
                "{problems}",
                path=visible(str(folder)),
                file=ARTIFACT_FILE,
                problems=shorten(problems),
            ),
            _("run the audit again into a new folder, and publish that one unchanged"),
        )
    return write_manifest(folder)


def published(folder: Path, files: int) -> Message:
    """What `audit run` says of the MANIFEST it wrote: how the folder is signed and checked."""
    shown = visible(str(folder))
    return _(
        "MANIFEST: {files} files hashed; sign the folder with `gemeingut sign {folder} --key "
        "KEY` (keys from `gemeingut keys create`), anyone checks it with `gemeingut verify "
        "{folder} --key PUBLIC_KEY`",
        files=files,
        folder=shown,
    )
