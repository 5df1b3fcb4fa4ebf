"""`gemeingut admin groups`: groups of users, which quotas and collections name."""

from __future__ import annotations

from gemeingut.cli.admin.common import Db, Operator, Yes, database
from gemeingut.cli.admin.safeguards import (
    group_pseudonym,
    person_pseudonym,
    record_admin_action,
)
from gemeingut.cli.admin.tables import print_rows
from gemeingut.cli.app import admin_groups_app
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _, plural


@admin_groups_app.command("add")
@user_errors
def groups_add(name: str, db: Db, operator: Operator = None) -> None:
    """Add a group."""
    from gemeingut.serve.gateway.identity import add_group

    engine = database(db, create=True)
    add_group(engine, name)
    added = f"added:{group_pseudonym(engine, name)}"  # fixed words: never the name itself
    record_admin_action(engine, "admin:groups-add", added, operator)
    say("[green]✓[/]", _("group {name} added", name=name))


@admin_groups_app.command("join")
@user_errors
def groups_join(group: str, user: str, db: Db, operator: Operator = None) -> None:
    """Put USER into GROUP."""
    from gemeingut.serve.gateway.identity import add_member

    engine = database(db)
    add_member(engine, user, group)
    pseudonym = person_pseudonym(engine, user)
    joined = f"joined:{group_pseudonym(engine, group)}"
    record_admin_action(engine, "admin:groups-join", joined, operator, pseudonym)
    say("[green]✓[/]", _("{user} is in {group}", user=user, group=group))


@admin_groups_app.command("leave")
@user_errors
def groups_leave(group: str, user: str, db: Db, operator: Operator = None) -> None:
    """Take USER out of GROUP."""
    from gemeingut.serve.gateway.identity import remove_member

    engine = database(db)
    remove_member(engine, user, group)
    pseudonym = person_pseudonym(engine, user)
    left = f"left:{group_pseudonym(engine, group)}"
    record_admin_action(engine, "admin:groups-leave", left, operator, pseudonym)
    say("[green]✓[/]", _("{user} is no longer in {group}", user=user, group=group))


@admin_groups_app.command("remove")
@user_errors
def groups_remove(
    group: str,
    db: Db,
    yes: Yes = False,
    operator: Operator = None,
) -> None:
    """Remove a group and its limits; its members stay, without it (a group that still has
    members only with --yes)."""
    from gemeingut.serve.gateway.identity import members, remove_group

    engine = database(db)
    count = members(engine, group)
    if count and not yes:
        people = plural(count, _("1 member"), _("{count} members", count=count))
        raise InputError(
            _("group {name} still has {members}", name=group, members=people),
            _("add --yes to remove it with its memberships, or `admin groups leave` first"),
        )
    remove_group(engine, group)
    removed = f"removed:{group_pseudonym(engine, group)},members={count}"
    record_admin_action(engine, "admin:groups-remove", removed, operator)
    say("[green]✓[/]", _("group {name} removed", name=group))


@admin_groups_app.command("list")
@user_errors
def groups_list(db: Db, as_json: JsonFlag = False) -> None:
    """List groups."""
    from gemeingut.serve.gateway.identity import list_groups

    print_rows(list_groups(database(db)), as_json, ("name", "created_at"))
