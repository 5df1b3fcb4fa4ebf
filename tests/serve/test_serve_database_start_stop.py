"""`gemeingut serve` as an operator runs it, started from a shell with GEMEINGUT_DB and stopped
with SIGTERM: it says at start which database it uses and where that came from, warns about
a database file that others may read, says where a server on all interfaces is reached, and
leaves no write-ahead log behind, so that a backup copied over the file is what the database
then holds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import serving_process, start_serving
from tests.serve.conftest import MODEL_NAME


@dataclass(frozen=True)
class Stopped:
    """What one server run left: its stderr, its exit code, and the database's folder."""

    db: Path
    backup: Path
    stderr: str
    returncode: int
    port: int
    left_over: list[str]  # the database's -wal and -shm files that were still there


@pytest.fixture(scope="module")
def stopped(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Stopped:
    """A server on all interfaces with its database from GEMEINGUT_DB (a file others may read):
    one answered request, a backup while it runs, a user added after the backup, SIGTERM."""
    folder = tmp_path_factory.mktemp("served-db")
    db, backup = folder / "gateway.db", folder / "backup.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    engine.dispose()
    db.chmod(0o644)
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gemeingut.cli", "serve", str(model_dir)]
    command += ["--model-name", MODEL_NAME, "--host", "0.0.0.0", "--port", str(port)]
    env = {**os.environ, "GEMEINGUT_DB": str(db)}
    env.pop("GEMEINGUT_LANG", None)
    log = folder / "stderr.txt"
    with log.open("wb") as stderr:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(server, url, log)
        answered = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
            timeout=60,
        )
        assert answered.status_code == 200, answered.text
        with sqlite3.connect(db) as source, sqlite3.connect(backup) as copy:
            source.backup(copy)  # what `sqlite3 DB ".backup FILE"` does
        source.close()
        copy.close()
        later = open_store(str(db))
        add_user(later, "bernd")  # after the backup: a restore must not bring it back
        later.dispose()
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    left_over = [p.name for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    return Stopped(db, backup, log.read_text(encoding="utf-8"), returncode, port, left_over)


def _wait_until_healthy(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            server.wait()
            raise RuntimeError(f"gemeingut serve did not start: {log.read_text()!r}")
        time.sleep(0.2)


def test_a_clean_stop_leaves_no_write_ahead_log_and_a_restored_backup_holds(
    stopped: Stopped,
) -> None:
    assert stopped.returncode in (0, -signal.SIGTERM), stopped.stderr  # uvicorn re-raises it
    assert stopped.left_over == []
    # The restore the guide describes: the server stopped, the backup copied over the file.
    shutil.copyfile(stopped.backup, stopped.db)
    with sqlite3.connect(stopped.db) as restored:
        names = {name for (name,) in restored.execute("SELECT name FROM users")}
    restored.close()
    assert names == {"anna"}  # bernd, added after the backup, does not come back


def test_the_start_names_the_database_and_that_gemeingut_db_named_it(stopped: Stopped) -> None:
    assert f"Datenbank {stopped.db} (aus GEMEINGUT_DB)" in stopped.stderr, stopped.stderr
    assert "unset GEMEINGUT_DB" in stopped.stderr


def test_a_database_that_others_may_read_is_warned_about(stopped: Stopped) -> None:
    lines = [line for line in stopped.stderr.splitlines() if "chmod 600" in line]
    assert len(lines) == 1, stopped.stderr
    assert f"chmod 600 {stopped.db}" in lines[0] and "lesen" in lines[0]


def test_a_server_on_all_interfaces_says_so_with_a_reachable_address(stopped: Stopped) -> None:
    served = [line for line in stopped.stderr.splitlines() if line.startswith("Modell ")]
    assert len(served) == 1, stopped.stderr
    assert "0.0.0.0" not in served[0]
    assert f"http://{socket.gethostname()}:{stopped.port}" in served[0]
    assert "allen Netzwerkschnittstellen" in served[0]


def test_a_private_database_gets_no_warning(tmp_path: Path) -> None:
    """The warning is about the file's mode: a 0600 file (as the admin commands create it)
    gets none, whatever else the start says."""
    from gemeingut.serve.runner import readable_by_others

    db = tmp_path / "gateway.db"
    open_store(str(db)).dispose()
    assert readable_by_others(str(db)) is None
    db.chmod(0o640)
    assert readable_by_others(str(db)) == "0640"
    assert readable_by_others("postgresql://u:p@localhost/db") is None


def test_workers_and_their_parent_leave_no_write_ahead_log(model_dir: Path, tmp_path: Path) -> None:
    """`--workers 2`: each worker closes its connections at its shutdown, and the parent (whose
    hourly tidy holds the database too) closes its own once they are gone."""
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    engine.dispose()
    with serving_process(str(model_dir), MODEL_NAME) as upstream:
        gateway, url = start_serving(
            None, "amt", "--upstream", upstream, "--db", str(db), "--workers", "2"
        )
        try:
            answered = httpx.post(
                f"{url}/v1/chat/completions",
                headers={"authorization": f"Bearer {key}"},
                json={"model": "amt", "messages": [{"role": "user", "content": "Hallo"}]},
                timeout=60,
            )
            assert answered.status_code == 200, answered.text
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(timeout=60)
        finally:
            if gateway.poll() is None:
                gateway.kill()
                gateway.wait()
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_a_database_named_by_db_is_said_without_gemeingut_db(tmp_path: Path) -> None:
    """--db wins over GEMEINGUT_DB, and the start says the one it uses; a private file gets no
    warning. (The start stops at the missing policy file, after the database is said.)"""
    from typer.testing import CliRunner

    from gemeingut.cli import app

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    db = tmp_path / "gateway.db"
    open_store(str(db)).dispose()
    result = CliRunner().invoke(
        app,
        ["serve", str(model), "--db", str(db), "--policy", str(tmp_path / "nix.yaml")],
        env={"GEMEINGUT_DB": str(tmp_path / "other.db")},
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"Datenbank {db}: jede Anfrage braucht einen ihrer Schlüssel" in said
    assert "GEMEINGUT_DB" not in said and "chmod" not in said
