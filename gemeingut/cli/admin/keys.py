"""`gemeingut admin keys`: API keys, shown once when they are made and stored hashed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from gemeingut.cli.admin.common import Db, Operator, database, existing
from gemeingut.cli.admin.rotations import chain_shown, rotation_chain
from gemeingut.cli.admin.safeguards import (
    key_owner_pseudonym,
    person_pseudonym,
    record_admin_action,
)
from gemeingut.cli.admin.tables import print_rows
from gemeingut.cli.admin.times import point_in_time
from gemeingut.cli.app import admin_keys_app
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.i18n.visible import visible
from gemeingut.serve.gateway.local_clock import iso_utc, local_expiry

if TYPE_CHECKING:
    from sqlalchemy import Engine


@admin_keys_app.command("create")
@user_errors
def keys_create(
    db: Db,
    user: Annotated[str, typer.Option(help="Whose key it is.")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. laptop.")] = "",
    model: Annotated[
        list[str] | None, typer.Option(help="Model the key may use (repeatable; default: all).")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="Expiry, in the future: 90d, 12h, or a date/time (31.01.2027 18:00 or "
            "2027-01-31T18:00); with an offset (2027-01-31T18:00+01:00) it is converted to UTC, "
            "without one it is this machine's local time; a date alone (31.01.2027) means to "
            "the end of that day: the key still works on it; default: never."
        ),
    ] = None,
    as_json: JsonFlag = False,
    operator: Operator = None,
) -> None:
    """Create an API key. It is printed once and cannot be shown again."""
    from gemeingut.serve.gateway.identity import create_key, utcnow

    blank = next((m for m in model or () if not m.strip()), None)
    if blank is not None:
        raise InputError(
            _(
                "--model '{value}' names no model: the key could never be used",
                value=visible(blank),
            ),
            _(
                "name a model the server serves, e.g. {example}; without --model the key may "
                "use every model",
                example="--model gemeingut-demo-1m",
            ),
        )
    expires_at = (
        point_in_time(expires, future=True, option="--expires", day_end=True)
        if expires is not None
        else None
    )
    if expires_at is not None and expires_at <= utcnow():
        raise InputError(
            _(
                "--expires {value} is in the past ({when}): the key would never work",
                value=expires,
                when=local_expiry(expires_at),
            ),
            _("give a time in the future, e.g. {example}", example="--expires 90d"),
        )
    engine = database(db)
    key_id, key = create_key(engine, user, name, tuple(model) if model else None, expires_at)
    scope = f"models={len(model)}" if model else "models=all"
    expiry = f"expires={iso_utc(expires_at)}" if expires_at else "expires=never"
    pseudonym = person_pseudonym(engine, user)
    decision = f"created:{scope},{expiry}"
    record_admin_action(engine, "admin:keys-create", decision, operator, pseudonym, key_id)
    if model:
        say(
            "[yellow]![/]",
            _(
                "the database does not know which models exist: the server decides; a key "
                "for a model it does not serve is refused there ({models})",
                models=", ".join(model),
            ),
        )
    if as_json:
        shown = {
            "id": key_id,
            "key": key,
            "expires_at": iso_utc(expires_at) if expires_at else None,
        }
        typer.echo(json.dumps(shown))
        return
    say("[green]✓[/]", _("key {id} for {user} (shown once; store it now):", id=key_id, user=user))
    typer.echo(key)


@admin_keys_app.command("list")
@user_errors
def keys_list(
    db: Db,
    user: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List keys (never their secrets) with scope, expiry, revocation and when each was last
    presented: the last request that came with the key while it was valid, also one then
    refused (a model outside the key's scope, a full quota), since it shows where the key is
    still in use (to the minute; `last_used_at` in `--json`). In `--json`, `models` is a list
    of model names, or null for a key that may use every model."""
    from gemeingut.serve.gateway.identity import list_keys

    engine = database(db)
    if user is not None:
        existing(engine, "user", user)  # "no user 'ghost'" rather than an empty table
    rows = list_keys(engine, user)
    if not as_json:  # a person reads "alle" or the names; a script gets null or a list
        rows = [{**r, "models": _models_shown(r["models"])} for r in rows]
    columns = ("id", "user", "name", "models", "expires_at", "revoked_at", "last_used_at")
    print_rows(rows, as_json, columns)


def _models_shown(models: list[str] | None) -> str:
    """A key's models in a table: `all` (shown in the reader's language) for a key without a
    model scope (null in `--json`), else the names."""
    return "all" if models is None else ", ".join(models)


@admin_keys_app.command("revoke")
@user_errors
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id.")],
    db: Db,
    operator: Operator = None,
) -> None:
    """Revoke a key at once (to replace it with one like it, use `keys rotate`)."""
    from gemeingut.serve.gateway.identity import revoke_key

    engine = database(db)
    _refuse_rotated_revoke(engine, key_id)
    revoke_key(engine, key_id)
    owner = key_owner_pseudonym(engine, key_id)
    record_admin_action(engine, "admin:keys-revoke", "revoked", operator, owner, key_id)
    say("[green]✓[/]", _("key {id} revoked", id=key_id))


def _refuse_rotated_revoke(engine: Engine, key_id: str) -> None:
    """A key rotated already revokes nothing: the access goes on with the key in its place.
    The refusal gives the chain and the key to revoke instead (the last, where it works), or
    that no key of the chain works any more; "no active key" left the reader to search."""
    chain = rotation_chain(engine, key_id)
    if len(chain) < 2:  # works, does not exist, or revoked without a rotation: said as before
        return
    last, works = chain[-1]
    if works:
        said = _(
            "the key {id} was rotated already and no longer works: {chain}; {last}, the key "
            "in its place now, still works",
            id=visible(key_id),
            chain=chain_shown(chain),
            last=last,
        )
        hint = _("to end this access, revoke that key: `gemeingut admin keys revoke {id}`", id=last)
    else:
        said = _(
            "the key {id} was rotated already: {chain}; {last}, the key in its place, is "
            "revoked too, so no key of the chain works",
            id=visible(key_id),
            chain=chain_shown(chain),
            last=last,
        )
        hint = _(
            "nothing is left to revoke; to give access again, make a new key with "
            "`gemeingut admin keys create`"
        )
    raise InputError(said, hint)


def _refuse_rotated(engine: Engine, key_id: str) -> None:
    """A key rotated already is said so, with the key that replaced it (the last of several
    rotations), as `quotas set --key` does: "no active key" would leave the reader to search."""
    chain = rotation_chain(engine, key_id)
    if len(chain) < 2:  # works, does not exist, or revoked without a rotation: said as before
        return
    last, works = chain[-1]
    said = _("the key {id} was rotated already: it no longer works", id=visible(key_id))
    if works:
        hint = _("rotate the key that replaced it: `gemeingut admin keys rotate {id}`", id=last)
    else:
        hint = _(
            "the key {id} that replaced it is revoked too: make a new one with "
            "`gemeingut admin keys create`",
            id=last,
        )
    raise InputError(said, hint)


@admin_keys_app.command("rotate")
@user_errors
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The id of the key to replace.")],
    db: Db,
    as_json: JsonFlag = False,
    operator: Operator = None,
) -> None:
    """Replace a key: a new one with the same user, name, models, expiry and own limits; the
    old one is revoked at once. The new key is printed once."""
    from gemeingut.serve.gateway.identity import rotate_key

    engine = database(db)
    _refuse_rotated(engine, key_id)
    new_id, key = rotate_key(engine, key_id)
    # Two records, one per key: an export for either key shows the rotation.
    owner = key_owner_pseudonym(engine, new_id)
    record_admin_action(engine, "admin:keys-rotate", "revoked:rotated", operator, owner, key_id)
    record_admin_action(engine, "admin:keys-rotate", "created:rotation", operator, owner, new_id)
    if as_json:
        typer.echo(json.dumps({"id": new_id, "key": key, "replaces": key_id}))
        return
    said = _("key {id} replaces {old} (shown once; store it now):", id=new_id, old=key_id)
    say("[green]✓[/]", said)
    typer.echo(key)
