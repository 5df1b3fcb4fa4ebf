"""Which findings files hold reports of the people of a gateway database.

A report names its reporter by their pseudonym, and only the database can make that from a
name; `gemeingut admin users remove` must then find the person's reports without being told
where they are (an operator who forgets the file would leave them). So a server that stores
a report remembers its findings file in the database (`settings`, under `findings_file.`),
the absolute path in pieces of the column's 200 characters, once per file; `forget_reports`
erases a person's reports in every file remembered (`audit.findings.forget_reporter`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from sqlalchemy import Engine, select

from gemeingut.audit.findings import forget_reporter
from gemeingut.i18n import Message, _, plural
from gemeingut.serve.gateway.store import insert_or_ignore, writing
from gemeingut.serve.gateway.tables import settings

PREFIX = "findings_file."
PIECE = 200  # characters of `settings.value`


def remember_findings_file(engine: Engine, path: Path) -> None:
    """Record `path` as a file that holds reports of this database's people."""
    where = str(path.resolve())
    name = PREFIX + hashlib.sha256(where.encode()).hexdigest()[:32]
    with writing(engine) as conn:
        for number, start in enumerate(range(0, len(where), PIECE)):
            insert_or_ignore(
                conn, settings, name=f"{name}.{number}", value=where[start : start + PIECE]
            )


def findings_files(engine: Engine) -> list[Path]:
    """Every findings file a server of this database stored a report in."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(settings.c.name, settings.c.value).where(
                settings.c.name.startswith(PREFIX, autoescape=True)
            )
        ).all()
    pieces = sorted(
        (name.rsplit(".", 1)[0], int(name.rsplit(".", 1)[1]), value) for name, value in rows
    )
    return [
        Path("".join(value for _name, _number, value in parts))
        for _file, parts in groupby(pieces, key=lambda piece: piece[0])
    ]


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


def forget_reports(engine: Engine, pseudonym: str) -> Erased:
    """Erase the reports of the person with `pseudonym` in every findings file remembered."""
    erased = Erased()
    for path in findings_files(engine):
        if not path.is_file():
            erased.missing.append(path)
            continue
        counts = forget_reporter(path, pseudonym)
        erased.removed += counts["removed"]
        erased.anonymised += counts["anonymised"]
    return erased
