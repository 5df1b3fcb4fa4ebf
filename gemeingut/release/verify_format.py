"""Whether a bundle was written by another gemeingut than the one verifying it, and in an
older or newer format: what `verify` then finds may stem from that version, not from a change.

A bundle carries no format field. The code that made its artifacts is in its lineage, and what
its writer knew is in what it holds: the checks its `openness.json` lists, the files its
MANIFEST lists. A check this gemeingut makes on a file that MANIFEST never listed, which the
check list lacks (`licence.text`, added with model/LICENSE), or a document it renders again that
the MANIFEST never listed, was not yet written by that version; a check the list has whose id
this gemeingut does not know (`CHECK_NAMES`), by a newer one. A check left out whose file the
bundle holds, or one this version knows but does not make for these files, was changed after
the release, whoever built it. Only where the lineage names other code: a bundle of this very
version that lacks one was altered.

Nothing of this rests on the lineage's `code` alone, which a tamperer rewrites in a line where
nothing is signed: the writer is the gemeingut source the bundle carries (training-code/, its
version computed from its bytes, `verify_snapshot`), which must be one the lineage names; a
newer writer's source must itself make the checks this version does not know. (That an older
source names a check the bundle lacks proves nothing: c20cb0b made `licence.text` for foreign
folders, not yet for bundles.) Where they disagree, the bundle is named as altered, with the
disagreement, not as old.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _, plural, quoted
from gemeingut.release.layout import OPENNESS, TRAINING_METADATA
from gemeingut.release.openness.absent import Absent
from gemeingut.release.openness.check_names import CHECK_NAMES
from gemeingut.release.verify_snapshot import PACKAGE, knows_check, snapshot_code

LINEAGE = f"{TRAINING_METADATA}/lineage.json"


@dataclass(frozen=True)
class OtherFormat:
    """A bundle of another format than this gemeingut writes, and the problems that say only
    that (restated by `said`, left out of the list)."""

    said: Message
    format_problems: list[Message]
    altered: bool = False  # the bundle contradicts the other version it names: `said` says how


def writers(bundle: Path) -> list[str]:
    """The gemeingut versions its lineage says made the bundle's artifacts (none where it
    cannot be read: its own check names that)."""
    try:
        lineage = json.loads((bundle / LINEAGE).read_text("utf-8"))
        return sorted({str(meta["code"]) for meta in lineage.values()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def other_format(
    bundle: Path,
    listed: dict[str, str],
    rating: dict[str, Any] | None,
    problems: list[str | Message],
    ours: str,
) -> OtherFormat | None:
    """The format the bundle's writer knew, where it is not this gemeingut's (`ours`, its
    `code_version`), judged from what it lacks (or holds beyond it) that this version writes;
    None for this version's format."""
    theirs = writers(bundle)
    if not theirs or ours in theirs:
        return None
    shipped = _shipped_checks(bundle)
    lacks = [  # a check on a file its writer did not yet write
        c["id"]
        for c in (rating["checks"] if rating and shipped is not None else [])
        if c["id"] not in shipped and c["evidence"] not in listed
    ]
    unknown = [id_ for id_ in shipped or [] if id_ not in CHECK_NAMES]
    absent = [p for p in problems if isinstance(p, Absent)]  # by their fields, not words
    unlisted = [  # a document this version renders that the writer's MANIFEST never listed
        p for p in absent if p.check is None and p.file not in listed
    ]
    restated = [p for p in absent if p.check is not None and p.check in lacks]
    if not (lacks or unlisted or unknown):
        return None
    writer = snapshot_code(bundle)
    if writer is None:
        return OtherFormat(_no_snapshot(theirs[-1]), [], altered=True)
    contradiction = _contradiction(bundle, theirs, writer, unknown)
    if contradiction is not None:
        return OtherFormat(contradiction, [], altered=True)
    if lacks or unlisted:
        files = [p.file for p in unlisted]
        said = _(
            "built by {theirs} in an older bundle format, without {what}, which this version "
            "({ours}) writes and checks",
            theirs=writer,
            what=_what(lacks, files),
            ours=ours,
        )
        return OtherFormat(said, [*restated, *unlisted])
    values = {"theirs": writer, "file": OPENNESS, "checks": quoted(unknown), "ours": ours}
    said = plural(
        len(unknown),
        _(
            "built by {theirs} in a newer bundle format: its {file} lists the check "
            "{checks}, which this version ({ours}) does not know",
            **values,
        ),
        _(
            "built by {theirs} in a newer bundle format: its {file} lists the checks "
            "{checks}, which this version ({ours}) does not know",
            **values,
        ),
    )
    return OtherFormat(said, [])


def _contradiction(
    bundle: Path, theirs: list[str], writer: str, unknown: list[str]
) -> Message | None:
    """How the bundle contradicts being written by the version its lineage names: its own
    source is another code, or does not make a check it lists that this version does not
    know."""
    if writer not in theirs:
        return _(
            "{lineage} names the code {theirs}, but the gemeingut source the bundle carries "
            "({folder}) is {writer}: the bundle is not as either version writes one",
            lineage=LINEAGE,
            theirs=", ".join(theirs),
            folder=f"{PACKAGE}/",
            writer=writer,
        )
    strange = [id_ for id_ in unknown if not knows_check(bundle, id_)]
    if strange:
        return _(
            "{file} lists the check {checks}, which the bundle's own code ({folder}, {writer}) "
            "does not make either: it was added after the release",
            file=OPENNESS,
            checks=quoted(strange),
            folder=f"{PACKAGE}/",
            writer=writer,
        )
    return None


def _no_snapshot(theirs: str) -> Message:
    return _(
        "{lineage} names the code {theirs}, but the bundle carries no gemeingut source "
        "({folder}) whose version can be computed: nothing confirms that version wrote it",
        lineage=LINEAGE,
        theirs=theirs,
        folder=f"{PACKAGE}/",
    )


def _shipped_checks(bundle: Path) -> list[str] | None:
    """The ids of the checks the bundle's `openness.json` lists (None where it cannot be read:
    the claims check names that)."""
    try:
        shipped = json.loads((bundle / OPENNESS).read_text(encoding="utf-8"))
        return [str(c["id"]) for c in shipped["checks"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _what(checks: list[str], files: list[str]) -> Message:
    """The checks and files an older writer did not write, in words."""
    said = []
    if checks:
        ids = quoted(checks)
        said.append(
            plural(len(checks), _("the check {ids}", ids=ids), _("the checks {ids}", ids=ids))
        )
    if files:
        shown = ", ".join(files)
        said.append(
            plural(
                len(files), _("the file {files}", files=shown), _("the files {files}", files=shown)
            )
        )
    return said[0] if len(said) == 1 else _("{first} and {second}", first=said[0], second=said[1])


def other_version_hint(bundle: Path, ours: str) -> Message | None:
    """Documents are rendered again by this gemeingut (`ours`): one that a bundle's own version
    wrote otherwise differs without anyone having touched it. Said where the bundle's lineage
    names no artifact made by this very code."""
    theirs = writers(bundle)
    if not theirs or ours in theirs:
        return None
    writer = snapshot_code(bundle)  # the lineage's word alone is no evidence
    if writer is None or writer not in theirs:
        return None
    return _(
        "the bundle was made by {theirs}, this is {ours}: a document that version wrote "
        "differently is named too; check with that version (its code is in training-code/), "
        "or rebuild and compare with `gemeingut reproduce`",
        theirs=writer,
        ours=ours,
    )


def rebuild_hint() -> Message:
    """What to do with a bundle of another format: rebuild it with this version, or check it
    with the one that wrote it."""
    return _(
        "rebuild the bundle with this gemeingut (`gemeingut build RECIPE`, or `gemeingut "
        "release` on the artifacts it was made from; its recipe is in training-code/), or "
        "check it with the gemeingut that built it (its code is in training-code/)"
    )
