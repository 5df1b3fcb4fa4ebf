"""No request that got an answer is missing from the audit log, even when the server process is
killed with SIGKILL in the middle of a load (its records are committed before the answer); a
stream cut off that way is recorded as unfinished, never as an answer given whole."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Admission, Gateway, opening_record
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve
from gemeingut.serve.gateway.records import ControllerFacts, read_record
from gemeingut.serve.gateway.records_text import render_record
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


def test_a_stream_cut_off_by_kill_9_is_recorded_as_unfinished(
    model_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", str(db))
    hello = [{"role": "user", "content": "Die Katze sieht den Garten."}]
    ids = []
    try:
        with httpx.Client(base_url=url, headers={"authorization": f"Bearer {key}"}) as http:
            for tokens, lines in ((2, None), (200, 5)):  # one read to its end, one cut off
                body = {"model": MODEL_NAME, "messages": hello, "max_tokens": tokens}
                body |= {"stream": True, "temperature": 0}
                with http.stream("POST", "/v1/chat/completions", json=body) as response:
                    read = list(itertools.islice(response.iter_lines(), lines))
                    ids.append(json.loads(read[0].removeprefix("data: "))["id"])
                    if lines is not None:
                        assert "data: [DONE]" not in read
                        os.kill(server.pid, signal.SIGKILL)  # mid-stream
                        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    done, cut = (next(r for r in export(open_store(str(db))) if r["request_id"] == i) for i in ids)
    assert (done["status"], done["decision"], done["completion_tokens"]) == (200, "allowed", 2)
    assert (cut["status"], cut["decision"], cut["duration_ms"]) == (200, "unfinished", None)
    said = CliRunner().invoke(app, ["admin", "audit", "records", "--db", str(db)]).output
    assert "Davon **nicht abgeschlossen**: 1 (Entscheidung `unfinished`" in said


def test_an_open_stream_says_unfinished_after_its_earlier_decision_until_it_ends(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    principal = authenticate(engine, key)
    redacted = "redacted:" + "x" * 71  # fills the column: the marker still fits
    gateway = Gateway(engine)
    opening = opening_record(gateway, principal, "/v1/chat", "demo", "r1", redacted)
    reservation = reserve(engine, principal, 0, True, utcnow(), then=opening)
    admission = Admission(
        gateway, principal, "/v1/chat", "demo", reservation, "r1", redacted, record_open=True
    )
    [opened] = export(engine)
    assert opened["decision"].startswith("redacted:x")
    assert opened["decision"].endswith(";unfinished") and len(opened["decision"]) == 80
    facts = ControllerFacts()
    said = render_record(read_record(engine, facts, utcnow()))
    assert "- Davon **nicht abgeschlossen**: 1 (Entscheidung `unfinished`, ohne Dauer" in said
    asyncio.run(admission.settle(200, 3, 4))
    [ended] = export(engine)
    assert (ended["decision"], ended["completion_tokens"]) == (redacted, 4)
    assert "nicht abgeschlossen" not in render_record(read_record(engine, facts, utcnow()))
