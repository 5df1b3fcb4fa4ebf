"""What commands that read personal data or change access share: destructive ones ask first (or
need `--yes`), they name a person by the audit log's pseudonym, and each leaves a record of the
act in the audit log, with the acting operator's pseudonym."""

from __future__ import annotations

import getpass
import os
import sys
import uuid
from typing import TYPE_CHECKING, Any

import typer

from gemeingut.cli.common import say
from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.i18n.visible import visible

if TYPE_CHECKING:
    from sqlalchemy import Engine

# What an operator's pseudonym is made from, after this prefix: never a person's source
# (`identity.pseudonym_source`: a salt or an id), so the two cannot meet.
OPERATOR_SOURCE = "operator:"
GROUP_SOURCE = "group:"  # a group's, likewise


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


def group_pseudonym(engine: Engine, group: str) -> str:
    """How an administrator's record names a group: `g-` and an HMAC of its name, never the
    name, which may name people (`team-anna`) and is free text a decision must not hold."""
    from gemeingut.serve.gateway.audit_log import AuditLog

    return "g-" + AuditLog(engine).pseudonym(GROUP_SOURCE + group)


def exported_person(engine: Engine, user: str) -> str:
    """`person_pseudonym` for an export of the log: a name that is no user may be one that
    `users remove` removed, whose records stay while their name no longer leads to them."""
    from sqlalchemy import select

    from gemeingut.serve.gateway.tables import users

    with engine.connect() as conn:
        known = conn.execute(select(users.c.id).where(users.c.name == user)).first()
    if known is None:
        raise InputError(
            _("'{name}' is no user here (or no longer: a removed person)", name=visible(user)),
            _(
                "after `users remove` the records of a person remain in the log under their "
                "pseudonym until the retention deletes them, but their name no longer leads "
                "to them; export the whole period with --since/--until instead"
            ),
        )
    return person_pseudonym(engine, user)


def key_owner_pseudonym(engine: Engine, key_id: str) -> str | None:
    """The audit pseudonym of the person whose key `key_id` is (None: no such key), so that
    a change to a key shows in an export of that person's records."""
    from sqlalchemy import select

    from gemeingut.serve.gateway.audit_log import AuditLog
    from gemeingut.serve.gateway.identity import pseudonym_source
    from gemeingut.serve.gateway.tables import api_keys, users

    query = select(users.c.id, users.c.pseudonym_salt).join(
        api_keys, api_keys.c.user_id == users.c.id
    )
    with engine.connect() as conn:
        row = conn.execute(query.where(api_keys.c.id == key_id)).first()
    return None if row is None else AuditLog(engine).pseudonym(pseudonym_source(*row))


def acting_operator(operator: str | None) -> str:
    """Who runs the command: `--operator` (or GEMEINGUT_OPERATOR), else the OS account."""
    if operator is not None and operator.strip():
        return operator.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container without a passwd entry for its uid
        return f"uid:{os.getuid()}"


def record_admin_action(
    engine: Engine,
    route: str,
    decision: str,
    operator: str | None,
    pseudonym: str | None = None,
    key_id: str | None = None,
) -> None:
    """An administrator's reading, change of access or limits, or deletion in the audit log,
    like any request (metadata only: a count or what changed, no content): `route` is
    `admin:GROUP-COMMAND`, `pseudonym` and `key_id` name whose data or key it concerned, and
    the acting operator is kept as a pseudonym, as people are in the log."""
    from gemeingut.serve.gateway.audit_log import AuditLog
    from gemeingut.serve.gateway.identity import utcnow

    log = AuditLog(engine)
    log.write(
        at=utcnow(),
        request_id=f"admin-{uuid.uuid4().hex}",
        user_pseudonym=pseudonym,
        key_id=key_id,
        route=route,
        model=None,
        status=200,
        decision=decision,
        operator_pseudonym=log.pseudonym(OPERATOR_SOURCE + acting_operator(operator)),
    )
