"""Whether an audit of one of gemeingut's own artifacts audited the folder it lies in.

An audit of a model artifact of ours records the artifact's id as its lineage (`audit/
subject.py`), not the hash of its files. The id is computed from the artifact's record
(`artifact.json`: kind, inputs, settings, code) and that record lists each of its files with its
sha256; so the report is of this folder where the folder's record names that id, gives it
again from its own fields, and lists exactly the folder's files (less the audit's folder) with
the hashes they have now. Any other report is no evidence, and is said why.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from gemeingut.hashing import files_with_hashes
from gemeingut.i18n import Message, _, plural
from gemeingut.model.base_model import files_said
from gemeingut.workspace import ARTIFACT_FILE, artifact_id


def artifact_problem(folder: Path, report: str, lineage: str) -> Message | None:
    """Why the audit report at `report` (relative to `folder`), whose lineage is the artifact
    id `lineage`, is not of this folder's model; None where it is."""
    meta = _record(folder / ARTIFACT_FILE)
    if meta is None:
        return _(
            "{report}: the audit of the artifact {id}, but this folder holds no artifact record "
            "({file}) to compare it with",
            report=report,
            id=lineage,
            file=ARTIFACT_FILE,
        )
    recorded = str(meta.get("id"))
    if recorded != lineage:
        return _(
            "{report}: the audit of the artifact {id}, but this folder is the artifact {own}",
            report=report,
            id=lineage,
            own=recorded,
        )
    try:
        again = artifact_id(meta["kind"], meta["inputs"], meta["params"], meta["code"])
    except (KeyError, TypeError, ValueError):
        again = None
    if again != recorded:
        return _(
            "{file} names the id {id}, but its lineage gives {lineage}",
            file=ARTIFACT_FILE,
            id=recorded,
            lineage=str(again),
        )
    differing = _differing_files(folder, PurePosixPath(report).parent, meta.get("files"))
    if not differing:
        return None
    named = {"report": report, "file": ARTIFACT_FILE, "files": files_said(differing)}
    return plural(
        len(differing),
        _(
            "{report}: the audit of the artifact this folder's {file} names, but {files} is "
            "not the file listed there",
            **named,
        ),
        _(
            "{report}: the audit of the artifact this folder's {file} names, but {files} are "
            "not the files listed there",
            **named,
        ),
    )


def _record(path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _differing_files(folder: Path, audit: PurePosixPath, listed: Any) -> list[str]:
    """The files of `folder` (less its record and the audit's folder `audit`) that are not as
    the record lists them, and the listed ones it lacks."""
    listed = listed if isinstance(listed, dict) else {}
    found = {
        rel: digest
        for rel, digest in files_with_hashes(folder, frozenset({ARTIFACT_FILE})).items()
        if audit not in PurePosixPath(rel).parents
    }
    return sorted(rel for rel in set(found) | set(listed) if found.get(rel) != listed.get(rel))
