"""No request that got an answer is missing from the audit log, even when the server process is
killed with SIGKILL in the middle of a load (its records are committed before the answer)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME


def test_every_answered_request_is_in_the_log_after_kill_9(model_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", str(db))
    answered: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(headers={"authorization": f"Bearer {key}"}, timeout=30) as http:
            while not stop.is_set():
                try:
                    response = http.post(
                        f"{url}/v1/chat/completions",
                        json={
                            "model": MODEL_NAME,
                            "messages": [{"role": "user", "content": "Hallo"}],
                            "max_tokens": 4,
                        },
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    answered.append(response.json()["id"])

    threads = [threading.Thread(target=load) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(answered) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-load: requests are in flight
        server.wait(timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        if server.poll() is None:
            server.kill()
    assert len(answered) >= 40
    logged = {record["request_id"] for record in export(open_store(str(db)))}
    missing = set(answered) - logged
    assert not missing, f"{len(missing)} answered requests are not in the audit log"
