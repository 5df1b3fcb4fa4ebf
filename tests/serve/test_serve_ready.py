"""`gemeingut serve` says „Bereit auf …“ on stdout only once it answers: the request sent right
after the line (no pause) is answered. Stopped by SIGTERM or Ctrl-C (SIGINT), as `make demo` is
stopped, it ends with exit code 0, not as killed by the signal (143) or „interrupted“ (130);
with several workers it is ready once one of them answers."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.test_serve_start import Serve, environment, free_port, serve_command


def said_lines(stdout: IO[str]) -> Iterator[str]:
    """The server's stdout line by line; a server that never says its line fails the test
    after a generous wait instead of hanging it."""
    read: queue.Queue[str] = queue.Queue()

    def reader() -> None:
        for line in stdout:
            read.put(line)
        read.put("")  # the end

    threading.Thread(target=reader, daemon=True).start()
    while line := read.get(timeout=120):
        yield line


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_ready_is_said_once_it_answers_and_a_stop_by_a_signal_ends_cleanly(
    model_dir: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    _ready_then_stopped(tmp_path, stop, str(model_dir))


def test_several_workers_say_ready_once_one_answers(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    with serve(create_app(backend)) as engine:
        _ready_then_stopped(tmp_path, signal.SIGTERM, "--upstream", engine, "--workers", "2")


def _ready_then_stopped(tmp_path: Path, stop: signal.Signals, *arguments: str) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        server = subprocess.Popen(
            serve_command(*arguments, "--port", str(port)),
            stdout=subprocess.PIPE,
            stderr=err,
            env=environment(),
            text=True,
        )
    try:
        assert server.stdout is not None
        lines = []
        for line in said_lines(server.stdout):  # until the line, or the end of a server that failed
            lines.append(line)
            if line.startswith("Bereit auf"):
                break
        url = f"http://127.0.0.1:{port}"
        assert lines and lines[-1] == f"Bereit auf {url}; Strg-C beendet\n", (
            lines,
            log.read_text(encoding="utf-8"),
        )
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        server.send_signal(stop)
        assert server.wait(timeout=60) == 0, log.read_text(encoding="utf-8")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    said = log.read_text(encoding="utf-8")
    assert "Traceback" not in said and "abgebrochen" not in said.lower(), said
