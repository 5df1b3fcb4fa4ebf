"""Values longer than a `settings` row holds (a folder's path), stored in pieces.

A value goes in as `NAME` (its first 200 characters, also when it is empty), `NAME.1`,
`NAME.2` …, so that a short one, the usual case, is one row under its own name. Names after
their prefix hold no dot: the first dot after the prefix starts a piece's number. Findings
files were once remembered as `NAME.0`, `NAME.1` …: a `.0` reads as the first piece, so those
databases read as they are (nothing migrates).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gemeingut.serve.gateway.store import insert_or_ignore
from gemeingut.serve.gateway.tables import settings

PIECE = settings.c.value.type.length  # characters of `settings.value`


def write_long_setting(conn: Connection, prefix: str, name: str, value: str) -> None:
    """Store `value` under `prefix + name` in pieces, in the caller's write transaction,
    replacing what was stored under it (also longer values' pieces)."""
    if "." in name:
        raise ValueError(f"a long setting's name holds no dot: {name!r}")
    key = prefix + name
    conn.execute(
        settings.delete().where(
            (settings.c.name == key) | settings.c.name.startswith(key + ".", autoescape=True)
        )
    )
    for number, start in enumerate(range(0, max(len(value), 1), PIECE)):
        piece = key if number == 0 else f"{key}.{number}"
        insert_or_ignore(conn, settings, name=piece, value=value[start : start + PIECE])


def read_long_settings(conn: Connection, prefix: str) -> dict[str, str]:
    """Every value stored under `prefix`, whole, by its name after the prefix."""
    rows = conn.execute(
        select(settings.c.name, settings.c.value).where(
            settings.c.name.startswith(prefix, autoescape=True)
        )
    ).all()
    pieces: dict[str, dict[int, str]] = {}
    for stored, value in rows:
        name, _dot, number = stored.removeprefix(prefix).partition(".")
        pieces.setdefault(name, {})[int(number or 0)] = value
    return {name: "".join(parts[n] for n in sorted(parts)) for name, parts in pieces.items()}
