"""Users, groups and API keys: who may call the server, and for which models.

A key is shown once, when it is created, as `gg_<id>_<secret>`. The id is public (lists, audit
log); of the secret only its SHA-256 is stored. A 256-bit random secret needs no slow password
hash: nobody can guess it, and the hash makes a stolen database useless for calling the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Exists,
    String,
    bindparam,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.i18n.visible import visible
from gemeingut.serve.gateway.direct_sql import run
from gemeingut.serve.gateway.local_clock import local_expiry
from gemeingut.serve.gateway.store import insert_or_ignore, reading, writing
from gemeingut.serve.gateway.tables import (
    MEMBER_SEPARATOR,
    api_keys,
    audit_log,
    content_log,
    groups,
    memberships,
    quota_limits,
    usage_counters,
    users,
)

KEY_PREFIX = "gg"
KEY_ID = re.compile(r"[0-9a-f]{12}")  # what `create_key` makes: 6 random bytes as hex
NAME_CHARS = 200  # users, groups and keys: what the name columns hold
LAST_USED_PRECISION = timedelta(minutes=1)  # fewer writes: last use is kept to the minute
# What `authenticate` reads, built once: the key, its user and the user's groups (one row per
# group, one with none where the user has none), in one statement. SQLAlchemy keeps a built
# statement's compiled form; building it anew for every request cost more than running it.
_KEY_WITH_GROUPS = (
    select(
        api_keys,
        users.c.name.label("user"),
        users.c.disabled,
        users.c.pseudonym_salt,
        groups.c.name.label("group_name"),
    )
    .join(users, users.c.id == api_keys.c.user_id)
    .outerjoin(memberships, memberships.c.user_id == users.c.id)
    .outerjoin(groups, groups.c.id == memberships.c.group_id)
    .where(api_keys.c.id == bindparam("key_id"))
    .order_by(groups.c.name)
)


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key."""

    key_id: str
    user_id: int
    user: str
    pseudonym_source: str  # what the audit pseudonym is made from (`pseudonym_source`)
    groups: tuple[str, ...]
    models: tuple[str, ...] | None  # None: every model

    def may_use(self, model: str) -> bool:
        return self.models is None or model in self.models


class AuthError(Exception):
    """401 (no valid key) or 403 (a valid key that may not do this)."""

    def __init__(self, status: int, message: Message, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def utcnow() -> datetime:
    """Naive UTC, as the tables keep time (see `tables.py`)."""
    return datetime.now(UTC).replace(tzinfo=None)


def add_user(engine: Engine, name: str, group_names: tuple[str, ...] = ()) -> int:
    name = _valid_name(name, "user")
    with writing(engine) as conn:
        _refuse_case_twin(conn, name)
        try:
            user_id = conn.execute(
                users.insert().values(
                    name=name,
                    created_at=utcnow(),
                    disabled=False,
                    pseudonym_salt=secrets.token_hex(16),
                )
            ).inserted_primary_key[0]
        except IntegrityError:
            raise InputError(
                _("user '{name}' exists already", name=visible(name)), _("pick another name")
            ) from None
        for group in group_names:
            _join(conn, user_id, group)
    return int(user_id)


def _refuse_case_twin(conn: Connection, name: str) -> None:
    """Names that differ only by case (anna@amt.de, ANNA@amt.de) are one person to a reader
    and to most identity providers: a second account under them would split keys and quotas."""
    twin = conn.execute(
        select(users.c.name).where(func.lower(users.c.name) == name.lower(), users.c.name != name)
    ).scalar()
    if twin is not None:
        raise InputError(
            _(
                "user '{name}' differs from the existing '{other}' only by case",
                name=visible(name),
                other=visible(twin),
            ),
            _("use the existing name"),
        )


def add_group(engine: Engine, name: str) -> None:
    name = _valid_name(name, "group")
    with writing(engine) as conn:
        try:
            conn.execute(groups.insert().values(name=name, created_at=utcnow()))
        except IntegrityError:
            raise InputError(
                _("group '{name}' exists already", name=visible(name)), _("pick another name")
            ) from None


def add_member(engine: Engine, user: str, group: str) -> None:
    with writing(engine) as conn:
        _join(conn, _user_id(conn, user), group)


def remove_member(engine: Engine, user: str, group: str) -> None:
    with writing(engine) as conn:
        uid, gid = _user_id(conn, user), _group_id(conn, group)
        done = conn.execute(
            memberships.delete().where(memberships.c.user_id == uid, memberships.c.group_id == gid)
        )
    if done.rowcount != 1:
        raise InputError(
            _("{user} is not in {group}", user=user, group=group),
            _("see `gemeingut admin users list`"),
        )


def members(engine: Engine, group: str) -> int:
    """How many people are in `group` (an error naming it if there is none)."""
    with engine.connect() as conn:
        gid = _group_id(conn, group)
        query = select(func.count()).select_from(memberships).where(memberships.c.group_id == gid)
        return int(conn.execute(query).scalar_one())


def remove_group(engine: Engine, group: str) -> None:
    """Delete `group`, its memberships and its limits (its people and their keys stay)."""
    with writing(engine) as conn:
        gid = _group_id(conn, group)
        conn.execute(memberships.delete().where(memberships.c.group_id == gid))
        _forget_quota(conn, "group", [group])
        _forget_quota(conn, "member", [group])  # its limit per member
        _forget_member_counters(conn, lambda g, _u: g == group)
        conn.execute(groups.delete().where(groups.c.id == gid))


def remove_user(engine: Engine, user: str, pseudonym: str) -> dict[str, int]:
    """Delete a person with their keys, memberships, limits and logged content (the content's
    `pseudonym` is theirs); the audit log keeps its pseudonymised records for its retention.
    Returns how many keys and content rows went."""
    with writing(engine) as conn:
        # The person's row locked first: a request's content being kept (`content_log.keep`
        # share-locks it) commits before the content below is deleted, and one after finds
        # the person gone. Locked last, content committed in between would stay behind.
        uid = _user_id(conn, user, locked=True)
        # Their keys locked next, before their counters go: the order of a reservation
        # (`quotas._hold_key`, then its takes), which the other order deadlocked with.
        keys = select(api_keys.c.id).where(api_keys.c.user_id == uid).with_for_update()
        key_ids = list(conn.execute(keys).scalars())
        _forget_quota(conn, "key", key_ids)
        _forget_quota(conn, "user", [user])
        _forget_member_counters(conn, lambda _g, u: u == user)
        conn.execute(api_keys.delete().where(api_keys.c.user_id == uid))
        conn.execute(memberships.delete().where(memberships.c.user_id == uid))
        content = conn.execute(
            content_log.delete().where(content_log.c.user_pseudonym == pseudonym)
        ).rowcount
        conn.execute(users.delete().where(users.c.id == uid))
    return {"keys": len(key_ids), "content": content}


def _forget_quota(conn: Connection, kind: str, subjects: list[str]) -> None:
    """Limits and counters of subjects that no longer exist (a later one of the same name must
    not inherit them)."""
    for table in (quota_limits, usage_counters):
        conn.execute(
            delete(table).where(table.c.subject_kind == kind, table.c.subject.in_(subjects))
        )


def _forget_member_counters(conn: Connection, whose: Callable[[str, str], bool]) -> None:
    """Counters under per-member limits of the (group, user) pairs `whose` names."""
    counters = usage_counters.c
    gone = [
        subject
        for subject in conn.execute(
            select(counters.subject).where(counters.subject_kind == "member").distinct()
        ).scalars()
        if whose(*subject.split(MEMBER_SEPARATOR, 1))
    ]
    if gone:
        conn.execute(
            delete(usage_counters).where(
                counters.subject_kind == "member", counters.subject.in_(gone)
            )
        )


def forget_empty_limits(engine: Engine, kind: str, subject: str) -> None:
    """A subject whose every limit was lifted has no limits: its row would list as empty."""
    with writing(engine) as conn:
        conn.execute(
            delete(quota_limits).where(
                quota_limits.c.subject_kind == kind,
                quota_limits.c.subject == subject,
                quota_limits.c.requests_per_minute.is_(None),
                quota_limits.c.tokens_per_day.is_(None),
                quota_limits.c.concurrent_streams.is_(None),
            )
        )


def set_memberships(engine: Engine, user: str, wanted: Iterable[str]) -> list[str]:
    """Make `user` a member of exactly those groups of `wanted` that exist here (the groups an
    identity provider names at sign-in; admins create the groups and their quotas). Returns
    the names in `wanted` that are no group here."""
    names = set(wanted)
    with writing(engine) as conn:
        uid = _user_id(conn, user)
        known = dict(
            conn.execute(select(groups.c.name, groups.c.id).where(groups.c.name.in_(names))).all()
        )
        conn.execute(
            memberships.delete().where(
                memberships.c.user_id == uid, memberships.c.group_id.not_in(known.values())
            )
        )
        for group_id in sorted(known.values()):  # kept ones stay; two sign-ins add one once
            insert_or_ignore(conn, memberships, user_id=uid, group_id=group_id)
    return sorted(names - set(known))


def set_user_disabled(engine: Engine, user: str, disabled: bool) -> None:
    with writing(engine) as conn:
        conn.execute(
            update(users).where(users.c.id == _user_id(conn, user)).values(disabled=disabled)
        )


def user_may_sign_in(engine: Engine, user: str) -> bool:
    """Whether `user` exists and is not disabled (a sign-in through the identity provider)."""
    with reading(engine) as conn:
        row = conn.execute(select(users.c.disabled).where(users.c.name == user)).first()
    return row is not None and not row.disabled


def user_id(engine: Engine, user: str) -> int:
    """The id of the user called `user` (an error naming them if there is none)."""
    with engine.connect() as conn:
        return _user_id(conn, user)


def user_pseudonym_source(engine: Engine, user: str) -> str:
    """What the audit pseudonym of `user` is made from (an error naming them if there is none)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.pseudonym_salt).where(users.c.id == _user_id(conn, user))
        ).one()
    return pseudonym_source(row.id, row.pseudonym_salt)


def pseudonym_source(user_id: int, salt: str | None) -> str:
    """The user's random salt; a user from before salts keeps the id their records were
    pseudonymised with. The prefix keeps a salt from ever reading as an id."""
    return f"salt:{salt}" if salt is not None else str(user_id)


def person_still_there(locked: bool = False) -> Exists:
    """Whether the person of the bind parameters `person_id` and `person_source` (a
    principal's `user_id` and `pseudonym_source`: `person_named`) still exists, inside the
    statement that writes under their pseudonym: `users remove` deletes the row, and a later
    person given the same id has another salt. `locked`: on PostgreSQL the row is share-locked,
    so that a removal under way is waited for (and then the person is gone)."""
    source = func.coalesce(literal("salt:") + users.c.pseudonym_salt, cast(users.c.id, String))
    query = select(users.c.id).where(
        users.c.id == bindparam("person_id"), source == bindparam("person_source")
    )
    return (query.with_for_update(read=True) if locked else query).exists()


def person_named(principal: Principal) -> dict[str, object]:
    """The bind parameters of `person_still_there` for `principal`'s person."""
    return {"person_id": principal.user_id, "person_source": principal.pseudonym_source}


def list_users(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        shown = [c for c in users.columns if c.name != "pseudonym_salt"]
        rows = conn.execute(select(*shown).order_by(users.c.name)).mappings().all()
        return [{**row, "groups": list(_group_names(conn, row["id"]))} for row in rows]


def list_groups(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [
            dict(row) for row in conn.execute(select(groups).order_by(groups.c.name)).mappings()
        ]


def create_key(
    engine: Engine,
    user: str,
    name: str = "",
    models: tuple[str, ...] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, str]:
    """A new key for `user`: (key id, the full key). The full key is never shown again."""
    if name:
        name = _valid_name(name, "key")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with writing(engine) as conn:
        conn.execute(
            api_keys.insert().values(
                id=key_id,
                user_id=_user_id(conn, user),
                name=name or key_id,
                secret_sha256=_digest(secret),
                models=list(models) if models is not None else None,
                created_at=utcnow(),
                expires_at=expires_at,
            )
        )
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}"


def list_keys(engine: Engine, user: str | None = None) -> list[dict[str, object]]:
    query = (
        select(
            api_keys.c.id,
            api_keys.c.name,
            users.c.name.label("user"),
            api_keys.c.models,
            api_keys.c.created_at,
            api_keys.c.expires_at,
            api_keys.c.revoked_at,
            api_keys.c.last_used_at,
        )
        .join(users, users.c.id == api_keys.c.user_id)
        .order_by(api_keys.c.created_at)
    )
    if user is not None:
        query = query.where(users.c.name == user)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def revoke_key(engine: Engine, key_id: str) -> None:
    """Revoke the key and remove its own limits in the same transaction: on a key that can
    never be used again they limit nothing, yet `quotas list` listed them as if they did
    (`rotate_key` moves them to the new key). Its counters stay: requests it has under way
    settle on them, and retention deletes them with their windows."""
    with writing(engine) as conn:
        done = conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        if done.rowcount == 1:
            conn.execute(
                delete(quota_limits).where(
                    quota_limits.c.subject_kind == "key", quota_limits.c.subject == key_id
                )
            )
    if done.rowcount != 1:
        raise InputError(
            _("no active key '{id}'", id=visible(key_id)), _("see `gemeingut admin keys list`")
        )


def rotate_key(engine: Engine, old_id: str) -> tuple[str, str]:
    """A new key with the old one's user, name, model scope, expiry and own limits (moved to
    it); the old key is revoked in the same transaction. Returns (new key id, the full key,
    shown once)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with writing(engine) as conn:
        now = utcnow()
        # Revoke first: PostgreSQL reads the old key without a lock, so of two rotations at
        # once both would go on; the row lock of this UPDATE lets only the first take it.
        taken = conn.execute(
            update(api_keys)
            .where(api_keys.c.id == old_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        if taken != 1:
            raise InputError(
                _("no active key '{id}'", id=visible(old_id)), _("see `gemeingut admin keys list`")
            )
        old = conn.execute(select(api_keys).where(api_keys.c.id == old_id)).mappings().one()
        if old["expires_at"] is not None and old["expires_at"] <= now:  # rolls the revoke back
            raise InputError(
                _(
                    "the key {id} expired on {when}: its copy would never work",
                    id=old_id,
                    when=local_expiry(old["expires_at"]),
                ),
                _("make a new key with `gemeingut admin keys create --expires 90d`"),
            )
        conn.execute(
            api_keys.insert().values(
                id=key_id,
                user_id=old["user_id"],
                name=old["name"],
                secret_sha256=_digest(secret),
                models=old["models"],
                created_at=now,
                expires_at=old["expires_at"],
            )
        )
        limits = (
            conn.execute(
                select(quota_limits).where(
                    quota_limits.c.subject_kind == "key", quota_limits.c.subject == old_id
                )
            )
            .mappings()
            .first()
        )
        if limits is not None:  # moved, not copied: on the revoked key they limit nothing,
            # yet `quotas list` listed them beside the new key's as if they did
            conn.execute(quota_limits.insert().values(**{**limits, "subject": key_id}))
            conn.execute(
                delete(quota_limits).where(
                    quota_limits.c.subject_kind == "key", quota_limits.c.subject == old_id
                )
            )
        _carry_usage(conn, old_id, key_id)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}"


def _carry_usage(conn: Connection, old_id: str, new_id: str) -> None:
    """The new key starts with what the old one used in its current windows, so that rotating
    never grants a second day of tokens or a second minute of requests. What the old key has
    reserved counts as used (its requests settle on the old key's rows): never less than the
    truth. The old key's open streams count for the new key too, under the same place names,
    until they end (`quotas.settle` gives a place back on every key that holds it): rotating
    does not double `concurrent_streams`."""
    counters = usage_counters.c
    rows = conn.execute(
        select(usage_counters).where(
            counters.subject_kind == "key",
            counters.subject == old_id,
            or_(
                counters.window.like("minute:%"),
                counters.window.like("day:%"),
                counters.window.like("stream:%"),
            ),
        )
    ).mappings()
    for row in rows.all():
        conn.execute(
            usage_counters.insert().values(
                subject_kind="key",
                subject=new_id,
                window=row["window"],
                used=row["used"] + row["reserved"],
                reserved=0,
            )
        )


def key_known(engine: Engine, key_id: str) -> bool:
    """Whether `key_id` is a key here or named in the audit log (a removed person's key)."""
    with engine.connect() as conn:
        return any(
            conn.execute(select(column).where(column == key_id).limit(1)).first() is not None
            for column in (api_keys.c.id, audit_log.c.key_id)
        )


def key_pseudonym(secret: bytes, key_id: str) -> str:
    """What an audit export shows for a key: an HMAC with the deployment's pseudonym secret
    (the message prefixed, so it never equals a user's pseudonym). A key id in an exported log
    would name its person through `keys list`; this cannot be turned back without the secret."""
    digest = hmac.new(secret, f"key:{key_id}".encode(), hashlib.sha256).hexdigest()
    return "k-" + digest[:16]


def key_id_of(token: str) -> str | None:
    """The key id in a bearer token, if it has the shape of one (anything else is no key of
    this server, and must not reach the audit log or a query)."""
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == KEY_PREFIX and KEY_ID.fullmatch(parts[1]):
        return parts[1]
    return None


def authenticate(engine: Engine, token: str | None) -> Principal:
    """The principal behind a bearer token, or an `AuthError` that says what is wrong; its
    key's last use noted."""
    principal, used_at = identify(engine, token)
    if used_at is not None:
        note_use(engine, principal.key_id, used_at)
    return principal


def identify(engine: Engine, token: str | None) -> tuple[Principal, datetime | None]:
    """`authenticate` in reads only (the gateway's key check, which must not wait behind
    writes): the principal, and the time to note as its key's last use (None where it was
    noted within `LAST_USED_PRECISION`)."""
    if not token:
        raise AuthError(
            401,
            _(
                "this server needs an API key: send `Authorization: Bearer gg_…` (ask your "
                "administrator for a key)"
            ),
            "missing_api_key",
        )
    key_id = key_id_of(token)
    if key_id is None:
        # Not "of another server": a mistyped key has no key's form either, and the keys of
        # every gemeingut server have the same one.
        said = _(
            "what was sent as the API key does not have the form of a key (gg_…_…): check "
            "that it was copied whole"
        )
        raise AuthError(401, said, "invalid_api_key")
    secret = token.split("_", 2)[2]
    now = utcnow()
    with reading(engine) as conn:
        rows = run(conn, _KEY_WITH_GROUPS, {"key_id": key_id})
    row = rows[0] if rows else None
    if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(secret)):
        raise AuthError(401, _("the API key is not valid"), "invalid_api_key")
    refuse_unusable(key_id, row, now)
    if row["disabled"]:
        raise AuthError(
            403, _("the user of key {key_id} is disabled", key_id=key_id), "user_disabled"
        )
    models = row["models"]
    principal = Principal(
        key_id=key_id,
        user_id=row["user_id"],
        user=row["user"],
        pseudonym_source=pseudonym_source(row["user_id"], row["pseudonym_salt"]),
        groups=tuple(r["group_name"] for r in rows if r["group_name"] is not None),
        models=tuple(models) if models is not None else None,
    )
    last = row["last_used_at"]
    return principal, now if last is None or now - last >= LAST_USED_PRECISION else None


def note_use(engine: Engine, key_id: str, at: datetime) -> None:
    """Note `at` as the last use of the key `key_id`."""
    with writing(engine) as conn:
        conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))


def refuse_unusable(key_id: str, row: Mapping[str, Any] | None, now: datetime) -> None:
    """A 401 for a key that may not be used at `now`: gone (its person was removed), revoked
    or expired. `row`: the key's `revoked_at` and `expires_at`. `authenticate` asks when a
    request comes, `quotas.reserve` again when the request takes its quota."""
    if row is None:
        raise AuthError(401, _("the API key is not valid"), "invalid_api_key")
    if row["revoked_at"] is not None:
        raise AuthError(
            401, _("the API key {key_id} was revoked", key_id=key_id), "revoked_api_key"
        )
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise AuthError(
            401,
            _(
                "the API key {key_id} expired on {when}",
                key_id=key_id,
                when=local_expiry(row["expires_at"]),  # the server's clock, zone named
            ),
            "expired_api_key",
        )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _valid_name(name: str, kind: str) -> str:
    """`name` without surrounding spaces, or an error that says what is wrong with it."""
    what = {"user": _("user name"), "group": _("group name"), "key": _("key name (--name)")}[kind]
    allowed = _("1-{most} characters on one line, no control characters", most=NAME_CHARS)
    name = name.strip()
    if not name:
        raise InputError(_("the {what} is empty", what=what), allowed)
    if len(name) > NAME_CHARS:
        raise InputError(
            _(
                "the {what} has {count} characters, at most {most} are allowed",
                what=what,
                count=len(name),
                most=NAME_CHARS,
            ),
            allowed,
        )
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise InputError(
            _(
                "the {what} '{name}' contains a control character",
                what=what,
                name=visible(name),
            ),
            allowed,
        )
    return name


def _user_id(conn: Connection, user: str, locked: bool = False) -> int:
    """`locked`: the row locked for the transaction (PostgreSQL; SQLite writes one at a time)."""
    query = select(users.c.id).where(users.c.name == user)
    found = conn.execute(query.with_for_update() if locked else query).scalar()
    if found is None:
        raise InputError(
            _("no user '{name}'", name=visible(user)),
            _("create it with `gemeingut admin users add`"),
        )
    return int(found)


def _group_id(conn: Connection, group: str) -> int:
    found = conn.execute(select(groups.c.id).where(groups.c.name == group)).scalar()
    if found is None:
        raise InputError(
            _("no group '{name}'", name=visible(group)),
            _("create it with `gemeingut admin groups add`"),
        )
    return int(found)


def _join(conn: Connection, user_id: int, group: str) -> None:
    group_id = _group_id(conn, group)
    exists = conn.execute(
        select(memberships).where(
            memberships.c.user_id == user_id, memberships.c.group_id == group_id
        )
    ).first()
    if exists is None:
        conn.execute(memberships.insert().values(user_id=user_id, group_id=group_id))


def _group_names(conn: Connection, user_id: int) -> tuple[str, ...]:
    return tuple(
        conn.execute(
            select(groups.c.name)
            .join(memberships, memberships.c.group_id == groups.c.id)
            .where(memberships.c.user_id == user_id)
            .order_by(groups.c.name)
        ).scalars()
    )
