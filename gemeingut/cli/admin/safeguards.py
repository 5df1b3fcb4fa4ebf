"""What commands that delete or read personal data share: they ask first (or need `--yes`),
name a person by the audit log's pseudonym, and leave a record of the act in the audit log."""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Any

import typer

from gemeingut.cli.common import say
from gemeingut.errors import InputError
from gemeingut.i18n import _, text

if TYPE_CHECKING:
    from sqlalchemy import Engine


def confirm(yes: bool, question: Any) -> None:
    """Destructive commands go ahead with `--yes`, or when a person at a terminal says so."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            _("this deletes data and needs a confirmation"),
            _("add --yes (scripts, cron), or run it at a terminal"),
        )
    if not typer.confirm(text(question)):
        say("[yellow]![/]", _("nothing deleted"))
        raise typer.Exit(1)


def person_pseudonym(engine: Engine, user: str) -> str:
    """How the audit log names `user` (an error if there is no such person)."""
    from gemeingut.serve.gateway.audit_log import AuditLog
    from gemeingut.serve.gateway.identity import user_pseudonym_source

    return AuditLog(engine).pseudonym(user_pseudonym_source(engine, user))


def record_admin_action(
    engine: Engine, route: str, decision: str, pseudonym: str | None = None
) -> None:
    """An administrator's reading or deleting in the audit log, like any request: so that a
    purge or an erasure can be seen afterwards (a count, no name)."""
    from gemeingut.serve.gateway.audit_log import AuditLog
    from gemeingut.serve.gateway.identity import utcnow

    AuditLog(engine).write(
        at=utcnow(),
        request_id=f"admin-{uuid.uuid4().hex}",
        user_pseudonym=pseudonym,
        key_id=None,
        route=route,
        model=None,
        status=200,
        decision=decision,
    )
