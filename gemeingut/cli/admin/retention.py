"""`admin audit retention` and `admin content retention`: the periods every server of one
database applies, shown, or changed on purpose (a server started with another value is
refused; running servers follow within seconds); each change is itself an audit record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemeingut.cli.admin.common import database
from gemeingut.cli.admin.safeguards import record_admin_action
from gemeingut.cli.common import say
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural

if TYPE_CHECKING:
    from sqlalchemy import Engine


def say_setting(engine: Engine, name: str) -> None:
    """The stored value of `name` (`retention.AUDIT_DAYS` or `CONTENT_DAYS`) in words, as one
    line: what every server of the database applies."""
    from gemeingut.serve.gateway.retention import days_said, stored_values

    shown = days_said(name, stored_values(engine).get(name))
    what = _setting_named(name)
    say("•", _("{what} of every server of this database: {value}", what=what, value=shown))


def _setting_named(name: str) -> Message:
    from gemeingut.serve.gateway.retention import AUDIT_DAYS

    return _("audit retention") if name == AUDIT_DAYS else _("content logging")


def change_retention(db: str, name: str, days: int | None, off: bool, operator: str | None) -> None:
    """Show the stored value of `name` (`retention.AUDIT_DAYS` or `CONTENT_DAYS`), or store
    `days` (`off`: none) for every server of the database."""
    from gemeingut.serve.gateway.retention import AUDIT_DAYS, days_said, set_retention

    if days is not None and off:
        raise InputError(
            _("--days and --off exclude each other"),
            _("give one of them; without either the command shows the value"),
        )
    audit = name == AUDIT_DAYS
    what = _setting_named(name)
    engine = database(db)
    if days is None and not off:
        say_setting(engine, name)
        return
    before = set_retention(engine, name, None if off else days)
    erased = None
    if off and not audit:  # /v1/policy says no content at once: none may stay stored
        from datetime import datetime

        from gemeingut.serve.gateway.content_log import purge_content

        erased = purge_content(engine, datetime.max)
    record_admin_action(
        engine,
        "admin:audit-retention" if audit else "admin:content-retention",
        f"off:erased={erased}" if erased is not None else "off" if off else f"set:{days}",
        operator,
    )
    now = days_said(name, None if off else str(days))
    said = _(
        "{what} of every server of this database: {now} (before: {before})",
        what=what,
        now=now,
        before=days_said(name, before),
    )
    say("[green]✓[/]", said)
    if audit:
        note = _(
            "servers running now say it on /v1/policy within seconds and delete by it at "
            "their next hourly tidy"
        )
    elif off:
        gone = plural(
            erased or 0,
            _("1 stored request deleted now"),
            _("{count} stored requests deleted now", count=erased or 0),
        )
        say("[green]✓[/]", gone)
        note = _(
            "servers running now stop logging content within seconds; what a request still "
            "running stores goes at their next hourly tidy"
        )
    else:
        note = _(
            "servers running now log content within seconds and delete it by the new period "
            "at their next hourly tidy"
        )
    say("•", note)
