"""`serve --upstream … --workers 2 --db …` (SQLite and PostgreSQL): each worker registers at
its own start (in the worker, after the supervisor started it, before its backend asks the
engine), before it has served anything, and a stream's lease names the worker that serves
it. Before, a worker registered with its first admitted request: `admin audit
new-pseudonym-key` did not see a server that had served nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import select

from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import leases, server_processes
from tests.http_server import start_serving, stop_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_workers_killed_mid_stream import HELLO, _wait_for, _workers


def _accepting(pid: int, port: int) -> bool:
    """Whether the worker `pid` accepts connections on `port`: its event loop watches the
    listening socket (a `tfd` of an epoll set in /proc), which uvicorn adds after the app's
    start. (`/ready` says that one worker serves, not which.)"""
    listening = {
        fields[9]
        for fields in map(str.split, Path("/proc/net/tcp").read_text().splitlines()[1:])
        if fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port
    }
    sockets, watched = set(), set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.removeprefix("socket:[").removesuffix("]") in listening:
                sockets.add(int(fd.name))
            elif target == "anon_inode:[eventpoll]":
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines()
                watched |= {int(line.split()[1]) for line in info if line.startswith("tfd:")}
    except FileNotFoundError:
        return False  # the worker, or one of its files, is gone: asked again
    return bool(sockets & watched)


def test_each_worker_registers_at_its_start_and_leases_name_one(
    key_of: tuple[str, Path], model_dir: Path
) -> None:
    db, _key_file = key_of  # SQLite, and PostgreSQL with its key file named for every process
    engine = open_store(db)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1)  # a stream takes a leased place
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url, headers = f"http://127.0.0.1:{port}", {"authorization": f"Bearer {key}"}
    body = {"model": "amt", "messages": HELLO, "max_tokens": 200, "stream": True}

    def registered() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(select(server_processes.c.id, server_processes.c.pid))
            return {row.id: row.pid for row in rows}

    def owners() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(select(leases.c.process)).scalars())

    engine_process, upstream = start_serving(str(model_dir), MODEL_NAME)
    with tempfile.TemporaryFile() as log:
        command = [sys.executable, "-m", "gemeingut.cli", "serve", "--upstream", upstream]
        command += ["--port", str(port), "--model-name", "amt", "--db", db, "--workers", "2"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 180
        try:
            _wait_for(lambda: len(_workers(server.pid)) == 2, "no 2 workers", deadline)
            workers = set(_workers(server.pid))
            # Nothing was asked: the workers registered themselves, not their parent.
            _wait_for(
                lambda: set(registered().values()) == workers or server.poll() is not None,
                "the workers did not register at their start",
                deadline,
            )
            assert server.poll() is None
            # Registered is not ready: each worker registered before its backend asked the
            # engine for its model card; with both still asking when the engine pauses, none
            # would accept the stream until the engine answered again.
            _wait_for(
                lambda: all(_accepting(pid, port) for pid in workers) or server.poll() is not None,
                "the workers do not accept connections",
                deadline,
            )
            assert server.poll() is None
            # The engine paused: the stream holds its leased place until it answers (a tiny
            # model's 200 tokens could end before its lease was looked at).
            os.kill(engine_process.pid, signal.SIGSTOP)
            try:
                with ThreadPoolExecutor(1) as asking:
                    answer = asking.submit(
                        httpx.post, f"{url}/v1/chat/completions", json=body, headers=headers,
                        timeout=120,
                    )  # fmt: skip
                    _wait_for(
                        lambda: bool(owners()) or answer.done(),
                        "the stream took no leased place",
                        deadline,
                    )
                    assert not answer.done(), answer.result().text
                    serving = registered()
                    assert all(owner in serving for owner in owners()), (owners(), serving)
                    assert {serving[owner] for owner in owners()} <= workers
                    os.kill(engine_process.pid, signal.SIGCONT)
                    assert answer.result().status_code == 200
            finally:
                os.kill(engine_process.pid, signal.SIGCONT)
            _wait_for(lambda: owners() == [], "the stream's place was not given back", deadline)
            assert set(registered().values()) == workers  # neither taken for stopped
        finally:
            stop_serving(server)
            engine_process.terminate()
            engine_process.wait(timeout=20)
        log.seek(0)
        said = log.read().decode()
    assert "Traceback" not in said, said
    assert registered() == {}, said  # each unregistered at its shutdown
    engine.dispose()
