"""A real uvicorn server on a free loopback port, for tests that talk HTTP to our app."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serving_process(model_dir: str, name: str, *extra: str) -> Iterator[str]:
    """`gemeingut serve` in its own process on a free port (as a user runs it); its base URL.

    Clients that do much work of their own between requests (lm-eval) run far faster against a
    server in another process than against one sharing their interpreter lock."""
    server, url = start_serving(model_dir, name, *extra)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def start_serving(
    model_dir: str | Path | None, name: str, *extra: str
) -> tuple[subprocess.Popen, str]:
    """Start `gemeingut serve MODEL --model-name NAME EXTRA…` (no MODEL: EXTRA names an
    --upstream) and wait until /health answers."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = [str(model_dir)] if model_dir is not None else []
    command = [sys.executable, "-m", "gemeingut.cli", "serve", *model, "--port", str(port)]
    command += ["--model-name", name, *extra]
    # A file, not a pipe: nobody reads a pipe during a load, and a full one (the access log
    # of a few thousand requests) would stop the server mid-request. The server keeps its
    # own handle of the file after this one closes.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    return server, url
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                log.seek(0)
                raise RuntimeError(f"gemeingut serve did not start: {log.read()!r}")
            time.sleep(0.2)


def stop_serving(server: subprocess.Popen) -> None:
    """Stop a `gemeingut serve` process as Ctrl-C does (its shutdown runs: leases, database),
    killing it only where it does not end within 30 s."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
