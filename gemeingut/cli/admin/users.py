"""`gemeingut admin users`: the people who may use the server."""

from __future__ import annotations

from typing import Annotated

import typer

from gemeingut.cli.admin.common import Db, Operator, Yes, database, existing
from gemeingut.cli.admin.safeguards import confirm, person_pseudonym, record_admin_action
from gemeingut.cli.admin.tables import print_rows
from gemeingut.cli.admin.unassignable import say_content_before, say_records_before
from gemeingut.cli.app import admin_users_app
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.i18n import _, plural


@admin_users_app.command("add")
@user_errors
def users_add(
    name: Annotated[str, typer.Argument(help="User name, e.g. a login or e-mail.")],
    db: Db,
    group: Annotated[list[str] | None, typer.Option(help="Group to join (repeatable).")] = None,
    operator: Operator = None,
) -> None:
    """Add a user."""
    from gemeingut.serve.gateway.identity import add_user

    engine = database(db, create=True)
    add_user(engine, name, tuple(group or ()))
    pseudonym = person_pseudonym(engine, name)
    record_admin_action(
        engine, "admin:users-add", f"added:groups={len(group or ())}", operator, pseudonym
    )
    say("[green]✓[/]", _("user {name} added", name=name))


@admin_users_app.command("list")
@user_errors
def users_list(db: Db, as_json: JsonFlag = False) -> None:
    """List users with their groups."""
    from gemeingut.serve.gateway.identity import list_users

    rows = list_users(database(db))
    if not as_json:  # JSON keeps the groups as a list
        rows = [{**r, "groups": ", ".join(r["groups"])} for r in rows]
    print_rows(rows, as_json, ("name", "groups", "disabled", "created_at"))


@admin_users_app.command("remove")
@user_errors
def users_remove(
    name: Annotated[str, typer.Argument(help="The person to remove.")],
    db: Db,
    yes: Yes = False,
    operator: Operator = None,
) -> None:
    """Remove a person with their keys, memberships, limits and logged content (Art. 17 DSGVO),
    and their reports of answers (confirmed ones stay, without their pseudonym); the audit log
    keeps its pseudonymised records for its retention."""
    from gemeingut.serve.findings_files import check_findings_files, forget_reports
    from gemeingut.serve.gateway.identity import remove_user

    engine = database(db)
    existing(engine, "user", name)  # a typo: the list, not `users add`
    pseudonym = person_pseudonym(engine, name)
    # A findings file that cannot be read stops the removal before anything changes, and
    # before the question (`findings_files`: the erasure whole, or not yet).
    check_findings_files(engine)
    confirm(yes, _("remove {name} with all their keys and logged content?", name=name))
    # The pseudonym is computed before the person goes (it cannot be made afterwards); their
    # reports are erased before and again after the row goes, so that one the server stored
    # in between (the person still had their keys) does not survive with the pseudonym.
    erased = forget_reports(engine, pseudonym)
    removed = remove_user(engine, name, pseudonym)
    erased = erased.plus(forget_reports(engine, pseudonym))
    decision = f"removed:keys={removed['keys']},content={removed['content']}"
    decision += f",reports={erased.removed},anonymised={erased.anonymised}"
    record_admin_action(engine, "admin:users-remove", decision, operator)  # a count, no name
    keys = plural(
        removed["keys"], _("1 key"), _("{count} keys", count=removed["keys"]), _("no keys")
    )
    content = plural(  # what content logging stored of their requests; the audit log stays
        removed["content"],
        _("the stored content of 1 request"),
        _("the stored content of {count} requests", count=removed["content"]),
        _("no stored content of requests"),
    )
    said = _(
        "user {name} removed, with {keys} and {content}; the audit log keeps its "
        "pseudonymised records until its deletion period",
        name=name,
        keys=keys,
        content=content,
    )
    say("[green]✓[/]", said)
    say("[green]✓[/]", erased.said())
    say_content_before(engine, name)  # what was kept under the old key stays, found by no name
    say_records_before(engine, name)
    for path in erased.missing:
        say(
            "[yellow]![/]",
            _("findings file {path} no longer exists: nothing erased there", path=path),
        )


@admin_users_app.command("disable")
@user_errors
def users_disable(name: str, db: Db, operator: Operator = None) -> None:
    """Stop every key of a user from working (until `enable`)."""
    from gemeingut.serve.gateway.identity import set_user_disabled

    engine = database(db)
    existing(engine, "user", name)  # a typo: the list, not `users add`
    set_user_disabled(engine, name, True)
    record_admin_action(
        engine, "admin:users-disable", "disabled", operator, person_pseudonym(engine, name)
    )
    say("[green]✓[/]", _("user {name} disabled", name=name))


@admin_users_app.command("enable")
@user_errors
def users_enable(name: str, db: Db, operator: Operator = None) -> None:
    """Let a disabled user's keys work again."""
    from gemeingut.serve.gateway.identity import set_user_disabled

    engine = database(db)
    existing(engine, "user", name)  # a typo: the list, not `users add`
    set_user_disabled(engine, name, False)
    record_admin_action(
        engine, "admin:users-enable", "enabled", operator, person_pseudonym(engine, name)
    )
    say("[green]✓[/]", _("user {name} enabled", name=name))
