"""After `admin keys rotate` the old key's limits are the new key's, not both: `quotas list`
listed them on the revoked key too, where they limit nothing (and `quotas set` refuses to set
one there for that reason). And `admin audit records --out` is written 0600, as every export."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.test_cli import invoke


def admin(db: Path, *args: str):
    return invoke("admin", *args, "--db", db)


def test_rotating_a_key_moves_its_limits_to_the_new_key(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    old = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)
    admin(db, "quotas", "set", "--key", old["id"], "--tokens-per-day", "500")
    rotated = admin(db, "keys", "rotate", old["id"], "--json")
    assert rotated.exit_code == 0, rotated.output
    new = json.loads(rotated.stdout)["id"]
    limits = json.loads(admin(db, "quotas", "list", "--json").stdout)
    assert [(r["subject"], r["tokens_per_day"]) for r in limits] == [(new, 500)], limits


def test_the_record_of_processing_is_written_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    out = tmp_path / "verzeichnis.md"
    written = admin(db, "audit", "records", "--out", str(out))
    assert written.exit_code == 1, written.output  # the controller's facts are missing
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text(encoding="utf-8").startswith("# Verzeichnis von Verarbeitungstätigkeiten")


def test_the_guide_shows_how_to_lift_a_limit() -> None:
    """Its commands run as written (`test_readme_admin_commands`): the lift among them."""
    from tests.test_readme_admin_commands import admin_commands

    commands = admin_commands("docs/operating.md", "Users, keys, quotas")
    assert any(words[1:3] == ["quotas", "set"] and "--lift" in words for words in commands)
