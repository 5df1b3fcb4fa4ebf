"""What a new pseudonym key (`admin audit new-pseudonym-key`) leaves behind: logged content and
audit records under the old key's pseudonyms, to which no person's name leads any more. A
command that finds or erases a person's data by pseudonym cannot see them, so it says how many
there are (and how to erase the content) instead of answering as if there were nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from gemeingut.cli.common import say
from gemeingut.i18n import _, plural

if TYPE_CHECKING:
    from sqlalchemy import Engine

DECISION = "new_pseudonym_key"  # the audit record of `admin audit new-pseudonym-key`
ERASE = "gemeingut admin content erase --before-key-change --yes"


def key_changed_at(engine: Engine) -> datetime | None:
    """When the pseudonym key was last replaced (naive UTC), or None: the time of the latest
    audit record of it, written just after the change (the settings keep it to the second
    only, which could count content of that same second as later); where the retention has
    deleted that record, the settings' time."""
    from sqlalchemy import func, select

    from gemeingut.serve.gateway.pseudonym_key import RENEWED
    from gemeingut.serve.gateway.tables import audit_log, settings

    with engine.connect() as conn:
        query = select(func.max(audit_log.c.at)).where(audit_log.c.decision == DECISION)
        recorded = conn.execute(query).scalar_one_or_none()
        if recorded is not None:
            return recorded
        kept = select(settings.c.value).where(settings.c.name == RENEWED)
        renewed = conn.execute(kept).scalar_one_or_none()
    return None if renewed is None else datetime.fromisoformat(renewed).replace(tzinfo=None)


def say_content_before(engine: Engine, user: str | None = None) -> None:
    """How many entries of the content log no person leads to since the key was replaced
    (nothing where it never was, or none are left), with how to erase them; with `user`, the
    person a command looked for, who may be among them."""
    from gemeingut.serve.gateway.content_log import stored_requests
    from gemeingut.serve.gateway.local_clock import local_date_time

    changed = key_changed_at(engine)
    count = stored_requests(engine, changed) if changed is not None else 0
    if changed is None or not count:
        return
    values = {"count": count, "when": local_date_time(changed), "command": ERASE, "user": user}
    if user is None:
        said = plural(
            count,
            _(
                "1 entry of the content log is from before the new pseudonym key of {when} "
                "and can be tied to nobody any more; `{command}` erases it",
                **values,
            ),
            _(
                "{count} entries of the content log are from before the new pseudonym key "
                "of {when} and can be tied to nobody any more; `{command}` erases them",
                **values,
            ),
        )
    else:
        said = plural(
            count,
            _(
                "1 entry of the content log is from before the new pseudonym key of {when} "
                "and can be tied to nobody any more, {user} possibly included; `{command}` "
                "erases it",
                **values,
            ),
            _(
                "{count} entries of the content log are from before the new pseudonym key "
                "of {when} and can be tied to nobody any more, {user} possibly included; "
                "`{command}` erases them",
                **values,
            ),
        )
    say("[yellow]![/]", said)


def say_records_before(engine: Engine, user: str) -> None:
    """How many audit records of a person (a pseudonym) are from before the key was replaced,
    which a search for `user` cannot find; they stay for the audit log's retention."""
    from sqlalchemy import func, select

    from gemeingut.serve.gateway.local_clock import local_date_time
    from gemeingut.serve.gateway.tables import audit_log

    changed = key_changed_at(engine)
    if changed is None:
        return
    query = select(func.count()).where(
        audit_log.c.at < changed, audit_log.c.user_pseudonym.is_not(None)
    )
    with engine.connect() as conn:
        count = int(conn.execute(query).scalar_one())
    if not count:
        return
    values = {"count": count, "when": local_date_time(changed), "user": user}
    said = plural(
        count,
        _(
            "1 audit record of a person is from before the new pseudonym key of {when} and can "
            "be tied to nobody any more, {user} possibly included; it stays until the audit "
            "log's retention or `gemeingut admin audit purge` deletes it",
            **values,
        ),
        _(
            "{count} audit records of people are from before the new pseudonym key of {when} "
            "and can be tied to nobody any more, {user} possibly included; they stay until the "
            "audit log's retention or `gemeingut admin audit purge` deletes them",
            **values,
        ),
    )
    say("[yellow]![/]", said)
