"""Which findings files hold reports of the people of a gateway database.

A report names its reporter by their pseudonym, and only the database can make that from a
name; `gemeingut admin users remove` must then find the person's reports without being told
where they are (an operator who forgets the file would leave them). So a server that stores
a report remembers its findings file in the database (`settings`, under `findings_file.`),
the absolute path in pieces (`gateway.long_settings`), once per file; `forget_reports`
erases a person's reports in every file remembered (`audit.findings.forget_reporter`).

Every file is read and checked before any is changed (`check_findings_files`): a file that
cannot be read stops the removal before anything is erased, naming the file and its line. The
other choice, erasing wherever possible and naming the file left, would lose the rest for good:
the pseudonym is made from the person's row, which the removal deletes, so a later run could
no longer find their reports in the file once it is repaired, and the person's reports would
stay there under the pseudonym that links them to the audit log. A data-protection officer
gets the erasure whole, a little later, rather than in part and never finished.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from gemeingut.audit.findings import forget_reporter, read_findings
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural
from gemeingut.serve.gateway.long_settings import read_long_settings, write_long_setting
from gemeingut.serve.gateway.store import writing

PREFIX = "findings_file."


def remember_findings_file(engine: Engine, path: Path) -> None:
    """Record `path` as a file that holds reports of this database's people."""
    where = str(path.resolve())
    with writing(engine) as conn:
        write_long_setting(conn, PREFIX, hashlib.sha256(where.encode()).hexdigest()[:32], where)


def findings_files(engine: Engine) -> list[Path]:
    """Every findings file a server of this database stored a report in."""
    with engine.connect() as conn:
        stored = read_long_settings(conn, PREFIX)
    return [Path(stored[name]) for name in sorted(stored)]


@dataclass
class Erased:
    """What `forget_reports` did: reports removed, reports kept without the pseudonym, and
    the remembered files that no longer exist (moved or deleted: nothing was erased there)."""

    removed: int = 0
    anonymised: int = 0
    missing: list[Path] = field(default_factory=list)

    def said(self) -> Message:
        removed = plural(
            self.removed,
            _("1 not yet confirmed removed"),
            _("{count} not yet confirmed removed", count=self.removed),
        )
        kept = plural(
            self.anonymised,
            _("1 confirmed kept without the pseudonym"),
            _("{count} confirmed kept without the pseudonym", count=self.anonymised),
        )
        if self.removed and self.anonymised:
            return _("the person's reports: {removed}, {kept}", removed=removed, kept=kept)
        if self.removed or self.anonymised:
            return _("the person's reports: {done}", done=removed if self.removed else kept)
        return _("no reports of the person in the findings files")

    def plus(self, later: Erased) -> Erased:
        """This erasure and a `later` one of the same person, each file missing once."""
        missing = self.missing + [path for path in later.missing if path not in self.missing]
        return Erased(self.removed + later.removed, self.anonymised + later.anonymised, missing)


def check_findings_files(engine: Engine) -> None:
    """Read every remembered findings file that exists, as `forget_reporter` will: an
    `InputError` naming the file (and its line and field) where one cannot be read, before
    anything is changed."""
    for path in findings_files(engine):
        if not path.is_file():
            continue
        try:
            read_findings(path)
        except InputError as problem:
            raise InputError(
                _(
                    "findings file {path} cannot be read, so nothing was erased or removed: "
                    "{problem}",
                    path=path,
                    problem=problem.message,
                ),
                _(
                    "repair that line (or restore the file from a backup) and run the command "
                    "again; the person's reports must be erased in every file"
                ),
            ) from None


def forget_reports(engine: Engine, pseudonym: str) -> Erased:
    """Erase the reports of the person with `pseudonym` in every findings file remembered;
    `check_findings_files` first, before anything else is changed."""
    erased = Erased()
    for path in findings_files(engine):
        if not path.is_file():
            erased.missing.append(path)
            continue
        counts = forget_reporter(path, pseudonym)
        erased.removed += counts["removed"]
        erased.anonymised += counts["anonymised"]
    return erased
