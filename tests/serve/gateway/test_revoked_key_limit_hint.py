"""`quotas set --key` on a revoked key says where the limit goes instead, as the keys table
says it: the key a rotation replaced it with (the last of several rotations), by its id; for a
key revoked and never rotated it told the operator to use "the key that replaced it", which
does not exist."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import invoke


def admin(db: Path, *args: str):
    return invoke("--lang", "en", "admin", *args, "--db", db)


def said(result) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_the_hint_names_the_key_that_replaced_a_revoked_one_only_where_one_did(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    key = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    first = json.loads(admin(db, "keys", "rotate", key, "--json").stdout)["id"]
    last = json.loads(admin(db, "keys", "rotate", first, "--json").stdout)["id"]
    alone = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    assert admin(db, "keys", "revoke", alone).exit_code == 0

    rotated = said(admin(db, "quotas", "set", "--key", key, "--tokens-per-day", "500"))
    assert f"the key {key} is revoked" in rotated
    assert f"set the limit on the key that replaced it: --key {last}" in rotated

    revoked = said(admin(db, "quotas", "set", "--key", alone, "--tokens-per-day", "500"))
    assert "replaced it:" not in revoked and "no key replaced it" in revoked

    assert admin(db, "keys", "revoke", last).exit_code == 0
    gone = said(admin(db, "quotas", "set", "--key", key, "--tokens-per-day", "500"))
    assert f"the key {last} that replaced it is revoked too" in gone

    german = said(
        invoke("admin", "quotas", "set", "--key", alone, "--tokens-per-day", "5", "--db", db)
    )
    assert f"der Schlüssel {alone} ist widerrufen" in german
    assert "der ihn ersetzt hat" not in german and "kein Schlüssel hat ihn ersetzt" in german
