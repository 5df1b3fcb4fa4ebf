"""`serve --upstream ENGINE --workers 2`: two processes serve one socket and one database. Across
them the daily tokens are never overshot and every answer is in the audit log; `/metrics` gives
the sum of both, whichever worker answers the scrape; a killed worker is replaced."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.http_server import serving_process, start_serving
from tests.serve.conftest import MODEL_NAME

COMPLETIONS = re.compile(
    r'^gemeingut_requests_total\{[^}]*route="/v1/chat/completions"[^}]*\} (\S+)$'
)


def workers_of(pid: int) -> set[int]:
    """The worker processes a server started (not multiprocessing's resource tracker)."""
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in command:
            found.add(int(child))
    return found


def answered_chats(url: str) -> int:
    """Chat completions answered, as one `/metrics` scrape reports them (a new connection each
    time, so that either worker may answer)."""
    scrape = httpx.get(f"{url}/metrics", headers={"connection": "close"}, timeout=10).text
    return round(sum(float(m[1]) for m in map(COMPLETIONS.match, scrape.splitlines()) if m))


def test_two_workers_keep_one_set_of_books(model_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    store = open_store(str(db))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=400)
    headers = {"authorization": f"Bearer {key}", "connection": "close"}

    def chat(url: str) -> int:
        body = {"model": "amt", "messages": [{"role": "user", "content": "Hallo"}], "max_tokens": 8}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
        if answer.status_code == 429:
            return 0
        assert answer.status_code == 200, answer.text
        return answer.json()["usage"]["total_tokens"]

    with serving_process(str(model_dir), MODEL_NAME) as engine:
        gateway, url = start_serving(
            None, "amt", "--upstream", engine, "--db", str(db), "--workers", "2"
        )
        try:
            first = workers_of(gateway.pid)
            assert len(first) == 2
            with ThreadPoolExecutor(16) as pool:
                spent = list(pool.map(lambda _: chat(url), range(32)))
            today = usage(store, "user", "anna", utcnow())
            assert today["tokens_today"] == sum(spent) <= 400 and today["tokens_reserved"] == 0
            assert 0 < spent.count(0) < 32  # some were refused, some answered
            answered = [r for r in export(store) if r["status"] == 200]
            assert len(answered) == 32 - spent.count(0)
            assert [answered_chats(url) for _ in range(6)] == [32] * 6

            set_limits(store, "user", "anna", tokens_per_day=None)
            first = workers_of(gateway.pid)  # the ones serving now
            os.kill(first.pop(), signal.SIGKILL)
            assert all(chat(url) > 0 for _ in range(6))  # the other worker serves meanwhile
            deadline = time.monotonic() + 30
            while len(workers_of(gateway.pid) - first) < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(workers_of(gateway.pid)) == 2  # the killed one is replaced
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)


def test_several_workers_serve_only_in_front_of_an_engine_that_answers(model_dir: Path) -> None:
    refused = CliRunner().invoke(cli_app, ["serve", str(model_dir), "--workers", "2"])
    assert refused.exit_code == 2
    assert "--workers 2 würde das Modell 2-mal laden" in refused.output
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    command = ["serve", "--upstream", dead, "--workers", "2", "--port", "0"]
    unreachable = CliRunner().invoke(cli_app, command)  # said before any worker starts
    assert unreachable.exit_code == 2 and "nicht erreichbar" in unreachable.output
