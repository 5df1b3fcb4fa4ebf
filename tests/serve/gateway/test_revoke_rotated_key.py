"""`gemeingut admin keys revoke` of a key that was rotated said only "no active key": the
operator who wants a laptop's access ended learnt neither that the access goes on with the
key in its place nor which one that is. Now the refusal gives the rotation chain and the key to
revoke, or that no key of the chain works any more."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import add_user, create_key, list_keys, rotate_key
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def revoke(db: Path, key_id: str, *lang: str) -> tuple[int, str]:
    result = runner.invoke(app, [*lang, "admin", "keys", "revoke", key_id, "--db", str(db)])
    return result.exit_code, " ".join(result.output.split())


def test_revoking_a_rotated_key_names_the_key_in_its_place(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    old, _key = create_key(engine, "anna", "laptop")
    middle, _key = rotate_key(engine, old)
    new, _key = rotate_key(engine, middle)
    code, said = revoke(db, old)
    assert code == 2
    assert f"der Schlüssel {old} wurde bereits rotiert und gilt nicht mehr" in said
    assert f"{old} → {middle} → {new}; {new}, der Schlüssel an seiner Stelle, gilt noch" in said
    assert f"widerrufen Sie jenen Schlüssel: `gemeingut admin keys revoke {new}`" in said
    code, said = revoke(db, middle, "--lang", "en")
    assert code == 2
    assert f"the key {middle} was rotated already and no longer works" in said
    assert f"to end this access, revoke that key: `gemeingut admin keys revoke {new}`" in said
    assert [k["revoked_at"] is None for k in list_keys(engine, "anna")].count(True) == 1
    assert revoke(db, new) == (0, f"✓ Schlüssel {new} widerrufen")
    code, said = revoke(db, old)
    assert code == 2
    assert f"{new}, der Schlüssel an seiner Stelle, ist ebenfalls widerrufen" in said
    assert "kein Schlüssel der Kette mehr" in said and "`gemeingut admin keys create`" in said
    code, said = revoke(db, old, "--lang", "en")
    assert f"{old} → {middle} → {new}; {new}, the key in its place, is revoked too" in said
    assert "nothing is left to revoke" in said


def test_a_key_revoked_without_a_rotation_is_said_as_before(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    key_id, _key = create_key(engine, "anna")
    assert revoke(db, key_id)[0] == 0
    code, said = revoke(db, key_id)
    assert code == 2 and f"kein aktiver Schlüssel „{key_id}“" in said
