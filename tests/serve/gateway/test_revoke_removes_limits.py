"""`admin keys revoke` removes the key's own limits, as `keys rotate` moves them: on a key that
can never be used again they limit nothing, yet `quotas list` listed them as active. A
database whose keys were revoked before keeps none of theirs either (revision 0009)."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, update

from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import list_limits, set_limits
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import api_keys
from tests.test_cli import invoke


def admin(db: Path, *args: str):
    return invoke("admin", *args, "--db", db)


def test_revoking_a_key_removes_its_limits_only(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    gone = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    kept = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    for key in (gone, kept):
        assert admin(db, "quotas", "set", "--key", key, "--tokens-per-day", "500").exit_code == 0
    admin(db, "quotas", "set", "--user", "anna", "--requests-per-minute", "3")
    revoked = admin(db, "keys", "revoke", gone)
    assert revoked.exit_code == 0, revoked.output
    limits = json.loads(admin(db, "quotas", "list", "--json").stdout)
    assert [(r["subject_kind"], r["subject"]) for r in limits] == [
        ("key", kept),
        ("user", "anna"),
    ], limits


def test_keys_revoked_before_lose_their_limits_on_upgrade(store_url: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    old, _ = create_key(engine, "anna")
    live, _ = create_key(engine, "anna")
    for key in (old, live):
        set_limits(engine, "key", key, tokens_per_day=500)
    engine.dispose()
    plain = create_engine(database_url(store_url))  # as a revoke before revision 0009 left it
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with plain.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
        conn.execute(update(api_keys).where(api_keys.c.id == old).values(revoked_at=utcnow()))
    plain.dispose()
    engine = open_store(store_url)  # brought to the newest revision
    assert [r["subject"] for r in list_limits(engine)] == [live]
    engine.dispose()
