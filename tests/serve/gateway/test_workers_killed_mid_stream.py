"""`serve --upstream … --workers 2` whose workers are killed with SIGKILL mid-stream: the
supervisor says in the server's language which died and which replaced them (none of uvicorn's
English lines), and the user's next stream is not refused for the dead worker's place."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.http_server import serving_process, stop_serving
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Die Katze sieht den Garten."}]


def _workers(parent: int) -> list[int]:
    """The worker processes of uvicorn's supervisor (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # not a process, or one that just ended
        if int(stat.rpartition(")")[2].split()[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def _wait_for(check, what: str, deadline: float) -> None:
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_killed_workers_are_said_in_our_words_and_free_their_places(
    model_dir: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "gateway.db")
    engine = open_store(db)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url, headers = f"http://127.0.0.1:{port}", {"authorization": f"Bearer {key}"}
    body = {"model": "amt", "messages": HELLO, "max_tokens": 200, "stream": True}
    with serving_process(str(model_dir), MODEL_NAME) as upstream, tempfile.TemporaryFile() as log:
        command = [sys.executable, "-m", "gemeingut.cli", "serve", "--upstream", upstream]
        command += ["--port", str(port), "--model-name", "amt", "--db", db, "--workers", "2"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 180

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return server.poll() is not None

        try:
            _wait_for(answers, "the server did not start", deadline)
            _wait_for(lambda: len(_workers(server.pid)) == 2, "no 2 workers", deadline)
            with (
                httpx.Client(base_url=url, headers=headers, timeout=60) as http,
                http.stream("POST", "/v1/chat/completions", json=body) as response,
            ):
                # the lines' iterator held until the workers are killed: dropped, it would
                # close the stream, and its worker would end it (499) before being killed
                lines = response.iter_lines()
                read = list(itertools.islice(lines, 5))
                assert "data: [DONE]" not in read
                killed = _workers(server.pid)
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
            assert usage(engine, "user", "anna", utcnow())["open_streams"] == 1

            def replaced() -> bool:
                now = _workers(server.pid)
                return len(now) == 2 and not set(now) & set(killed)

            _wait_for(replaced, "the workers were not replaced", deadline)
            _wait_for(answers, "the new workers do not answer", deadline)
            body["max_tokens"] = 2
            answered = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
        finally:
            stop_serving(server)
        log.seek(0)
        said = log.read().decode()
    assert answered.status_code == 200, answered.text
    assert usage(engine, "user", "anna", utcnow())["open_streams"] == 0
    assert "hat unerwartet geendet; ersetzt durch" in said, said
    for english in ("Started parent process", "Child process", "Started server process"):
        assert english not in said, said
