"""A PostgreSQL database whose servers run without `GEMEINGUT_PSEUDONYM_KEY` keeps its pseudonym
key in the database. An operator who then named the variable for an ordinary admin command
(`gemeingut admin quotas list`) moved the key into the file without a word: exit code 0, and the
running server's next worker could not start any more (its key was no longer in the database).
Now the move is refused while a server process of the database runs (named, as
`new-pseudonym-key` names them), nothing changes, and once every server stopped the move is
made and said. The server, the admin commands and the cluster are real processes; a server
also says at its start that the key lies in the database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from gemeingut.serve.gateway.pseudonym_key import IN_DATABASE, KEY_FILE_ENV
from gemeingut.serve.gateway.store import database_url, open_store
from gemeingut.serve.gateway.tables import settings
from tests.http_server import start_serving, stop_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.conftest import fresh_database


def quotas_list(db: str, key: Path) -> subprocess.CompletedProcess[str]:
    """`gemeingut admin quotas list` as the operator ran it, with the key file named."""
    env = {**os.environ, KEY_FILE_ENV: str(key), "GEMEINGUT_LANG": "en", "COLUMNS": "400"}
    command = [sys.executable, "-m", "gemeingut.cli", "admin", "quotas", "list", "--db", db]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def key_in_database(db: str) -> bool:
    engine = create_engine(database_url(db))
    try:
        with engine.connect() as conn:
            chosen = select(settings.c.name).where(settings.c.name == IN_DATABASE)
            return conn.execute(chosen).first() is not None
    finally:
        engine.dispose()


def test_the_key_is_not_moved_from_under_a_running_server(
    postgres_url: str, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)  # the servers run without it
    db = fresh_database(postgres_url, "key_moved_while_serving")
    open_store(db).dispose()
    assert key_in_database(db)
    key = tmp_path / "pseudonym-key"
    server, _ = start_serving(str(model_dir), MODEL_NAME, "--db", db)
    try:
        refused = quotas_list(db, key)
    finally:
        stop_serving(server)
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 2, said
    assert "kept in the database, and a server process of it is running" in said, said
    assert f"PID {server.pid}" in said and f"unset {KEY_FILE_ENV}" in said, said
    assert "Traceback" not in said, said
    assert not key.exists() and key_in_database(db)  # nothing moved
    moved = quotas_list(db, key)  # every server stopped: the move is made, and said
    said = " ".join(moved.stderr.split())
    assert moved.returncode == 0, said
    assert f"was moved out of the database to {key}" in said, said
    assert key.exists() and not key_in_database(db)


def test_a_server_says_at_its_start_that_the_key_lies_in_the_database(
    postgres_url: str, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = fresh_database(postgres_url, "key_said_at_start")
    open_store(db).dispose()
    env = {**os.environ, "GEMEINGUT_LANG": "de", "COLUMNS": "400"}
    command = [sys.executable, "-m", "gemeingut.cli", "serve", str(model_dir), "--db", db]
    with socket.socket() as taken:  # refused after the database opened, before the model loads
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        command += ["--port", str(taken.getsockname()[1])]
        started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode != 0, started.stderr
    said = " ".join(started.stderr.split())
    assert "der Pseudonymschlüssel liegt in der Datenbank selbst" in said, said
    assert "das Audit-Log wird unbegrenzt aufbewahrt" in said, said
