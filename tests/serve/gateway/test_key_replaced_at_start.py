"""A server whose pseudonym key was replaced after it read it at its start, before it
registered, does not start: it says what happened and what to do and ends with exit code 2, as a
database server with a wrong key does, before its model loads (it registers first). Before, it
started and answered every request 503 `pseudonym_key_replaced`. With `--workers`, every worker
says so in the parent's `--lang` and the server stops, with no traceback and no restarted worker
(before: exit code 0 after uvicorn's English line, or 503s).

The key is replaced by the real `gemeingut admin audit new-pseudonym-key` at that moment, by
`replaced_at_start.py`, which runs `gemeingut serve` with that one step put in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import server_processes
from tests.http_server import start_serving, stop_serving
from tests.serve.conftest import MODEL_NAME

REPLACING = Path(__file__).with_name("replaced_at_start.py")


def refused_start(tmp_path: Path, processes: int, *serve: str) -> tuple[int, str]:
    """`gemeingut serve … --db` whose key is replaced before its `processes` register: its
    exit code and what it said; a server that starts instead fails the test at once."""
    db = str(tmp_path / "gateway.db")
    open_store(db).dispose()
    (tmp_path / "meeting").mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, str(REPLACING), *serve, "--db", db, "--port", str(port)]
    env = {**os.environ, "MEETING": str(tmp_path / "meeting"), "PROCESSES": str(processes)}
    env |= {"DB": db, "GEMEINGUT_LANG": "de"}  # German, unless `--lang` says otherwise
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            deadline = time.monotonic() + 300  # a bound for a hung start, no measure
            while server.poll() is None and time.monotonic() < deadline:
                assert not answers(f"http://127.0.0.1:{port}/health"), "it started"
                time.sleep(0.2)
        finally:
            server.kill()
            server.wait()
        log.seek(0)
        said = log.read().decode()
    engine = open_store(db)  # with the new key
    try:
        with engine.connect() as conn:
            assert conn.execute(select(server_processes)).all() == []  # never registered
    finally:
        engine.dispose()
    return server.returncode, said


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_server_refuses_to_start_before_its_model_loads(tmp_path: Path, model_dir: Path) -> None:
    code, said = refused_start(tmp_path, 1, "serve", str(model_dir), "--model-name", MODEL_NAME)
    assert code == 2, said
    assert "wurde ersetzt, nachdem dieser Server ihn beim Start gelesen hatte" in said, said
    assert "starten Sie den Server neu" in said, said
    assert f"Modell {MODEL_NAME}" not in said, said  # no model was loaded and served
    assert "Traceback" not in said, said


def test_workers_refuse_to_start_and_the_server_stops(tmp_path: Path, model_dir: Path) -> None:
    engine, upstream = start_serving(str(model_dir), MODEL_NAME)
    try:
        code, said = refused_start(
            tmp_path, 2, "--lang", "en", "serve", "--upstream", upstream, "--workers", "2"
        )
    finally:
        stop_serving(engine)
    assert code == 2, said
    assert said.count("was replaced after this server read it at its start") == 2, said
    assert "start the server again" in said, said
    assert "could not start, so every server process stopped" in said, said
    assert "Traceback" not in said and "Child process" not in said, said


def test_a_copy_of_the_key_from_before_a_new_one_is_refused_saying_when(
    tmp_path: Path, model_dir: Path
) -> None:
    """The other way a server meets a replaced key: started with a copy of the old one (kept
    on its machine, where the new key was made on another). It was refused before too; now the
    refusal says when the new key was made and to copy it."""
    db = str(tmp_path / "gateway.db")
    open_store(db).dispose()
    old = tmp_path / "old-key"
    Path(db + SUFFIX).rename(old)
    runner = CliRunner()
    made = runner.invoke(app, ["admin", "audit", "new-pseudonym-key", "--db", db, "--yes"])
    assert made.exit_code == 0, made.output
    env = {KEY_FILE_ENV: str(old), "GEMEINGUT_LANG": "en", "COLUMNS": "400"}
    refused = runner.invoke(app, ["serve", str(model_dir), "--db", db], env=env)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2, said
    assert f"{old} is not the pseudonym key of this database, which got a new key at" in said
    assert f"copy the new key file (from where that command made it) to {old}" in said, said
