"""Refusals of the admin commands that point where the reader has to go: a rotated key names
the key that replaced it, an unknown user to disable is a name to check (not one to create),
and the purge guard's retention is the deployment's, not one server's."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import add_user, create_key, rotate_key
from gemeingut.serve.gateway.retention import agree_retention
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def admin(db: Path, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def _said(result) -> str:
    return " ".join(result.output.split())


def test_a_rotated_key_names_its_replacement(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    old, _key = create_key(engine, "anna")
    new, _key = rotate_key(engine, old)
    said = admin(db, "keys", "rotate", old)
    assert said.exit_code == 2, said.output
    assert "wurde bereits rotiert" in _said(said)
    assert f"gemeingut admin keys rotate {new}" in _said(said)


def test_disabling_an_unknown_user_asks_to_check_the_name(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    open_store(str(db)).dispose()
    for verb in ("disable", "enable"):
        said = admin(db, "users", verb, "nobody")
        assert said.exit_code == 2, said.output
        assert "users list" in _said(said) and "users add" not in _said(said)


def test_the_purge_guard_names_the_deployments_retention(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    agree_retention(engine, 30, None)
    said = admin(db, "audit", "purge", "--older-than", "1d", "--yes")
    assert said.exit_code == 2, said.output
    assert "für alle Server dieser Datenbank" in _said(said) and "dieses Servers" not in _said(said)
