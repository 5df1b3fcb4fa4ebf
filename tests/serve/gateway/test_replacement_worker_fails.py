"""`serve --upstream … --workers 2` whose pseudonym key file was moved away after the start: a
worker killed then cannot be replaced (its replacement cannot read the key), and before, that
one failed start stopped every worker ("could not start, so every server process stopped"). Now
the healthy worker serves on, the supervisor says in German that the place stays empty and when
it is tried again, and once the file is back the place is filled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gemeingut.serve.gateway.pseudonym_key import SUFFIX
from gemeingut.serve.gateway.store import open_store
from tests.http_server import serving_process, stop_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_workers_killed_mid_stream import _wait_for, _workers
from tests.serve.gateway.test_workers_registered_at_start import _accepting


def test_a_replacement_that_cannot_start_leaves_the_others_serving(
    model_dir: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "gateway.db")
    open_store(db).dispose()
    key, away = Path(db + SUFFIX), tmp_path / "key-away"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url, log = f"http://127.0.0.1:{port}", tmp_path / "server.log"
    env = {**os.environ, "GEMEINGUT_LANG": "de"}
    with serving_process(str(model_dir), MODEL_NAME) as upstream, log.open("wb") as written:
        command = [sys.executable, "-m", "gemeingut.cli", "serve", "--upstream", upstream]
        command += ["--port", str(port), "--model-name", "amt", "--db", db, "--workers", "2"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=written, env=env)
        deadline = time.monotonic() + 240  # a bound for a hung server, no measure

        def answers() -> bool:
            assert server.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            _wait_for(answers, "the server did not start", deadline)
            _wait_for(lambda: len(_workers(server.pid)) == 2, "no 2 workers", deadline)
            healthy, killed = _workers(server.pid)

            # Both started, not one answering while the other still loads: a worker of the
            # server's start that then misses the key stops the server (as it should).
            def started() -> bool:
                assert server.poll() is None, log.read_text()
                return all(_accepting(pid, port) for pid in (healthy, killed))

            _wait_for(started, "the workers do not accept connections", deadline)
            key.rename(away)
            os.kill(killed, signal.SIGKILL)
            said = "konnte nicht anstelle eines beendeten starten"
            _wait_for(
                lambda: said in log.read_text() or server.poll() is not None,
                "no failed replacement",
                deadline,
            )
            assert answers(), log.read_text()  # the healthy worker serves on
            assert healthy in _workers(server.pid)
            away.rename(key)

            def filled() -> bool:
                now = _workers(server.pid)
                return len(now) == 2 and killed not in now and answers()

            _wait_for(filled, "the empty place was not filled", deadline)
        finally:
            stop_serving(server)
    said = log.read_text()
    assert f"Pseudonymschlüssel dieser Datenbank liegt nicht unter {key}" in said, said  # why
    assert "daher wurden alle Serverprozesse beendet" not in said, said
    assert "Traceback" not in said and "Child process" not in said, said
