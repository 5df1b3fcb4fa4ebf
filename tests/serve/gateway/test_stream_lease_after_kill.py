"""A server process killed mid-stream does not block its user's streams for the hour of the
stream lease: its lease is settled by the next process that notices it stopped (at once on the
same machine, after its heartbeat ran out elsewhere), its reserved tokens count as used, and
until then a refused stream is told who holds the place and when it is freed. An administrator
frees a user's places at once, on record."""

from __future__ import annotations

import itertools
import json
import os
import signal
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, update
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.leases import STOPPED_AFTER
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import leases, server_processes
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Die Katze sieht den Garten."}]


def _stream(url: str, key: str, max_tokens: int = 2) -> httpx.Response:
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": max_tokens, "stream": True}
    body["stream_options"] = {"include_usage": True}
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)


def test_a_stream_of_a_killed_server_frees_its_place_and_tokens_on_restart(
    store_url: str, model_dir: Path
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1, tokens_per_day=100_000)
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", store_url)
    try:
        # Within the model's 256 tokens of context: a limit in tokens counts them first.
        body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 200, "stream": True}
        body["temperature"] = 0  # greedy: no end of text drawn before the server is killed
        headers = {"authorization": f"Bearer {key}"}
        with (
            httpx.Client(base_url=url, headers=headers, timeout=60) as http,
            http.stream("POST", "/v1/chat/completions", json=body) as response,
        ):
            read = list(itertools.islice(response.iter_lines(), 5))
            assert "data: [DONE]" not in read
            os.kill(server.pid, signal.SIGKILL)  # mid-stream
            server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    held = usage(engine, "user", "anna", utcnow())
    assert held["open_streams"] == 1 and held["tokens_reserved"] > 0
    cut_reserved = held["tokens_reserved"]
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", store_url)  # all restarted
    try:
        answered = _stream(url, key)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert answered.status_code == 200, answered.text  # not 429 for the lease's hour
    last = [line for line in answered.text.splitlines() if line.startswith("data: {")][-1]
    used = json.loads(last.removeprefix("data: "))["usage"]["total_tokens"]
    after = usage(engine, "user", "anna", utcnow())
    # The killed stream's tokens are not reserved until midnight: settled as of unknown use.
    assert (after["open_streams"], after["tokens_reserved"]) == (0, 0)
    assert after["tokens_today"] == cut_reserved + used
    with engine.connect() as conn:
        assert conn.execute(select(leases)).first() is None


def _other_process(engine, beat_ago: timedelta, live_id: str = "elsewhere") -> None:
    """A server process on another machine, last heard of `beat_ago`."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(server_processes).values(
                id=live_id, machine="another host", pid=1, started_at=now, beat_at=now - beat_ago
            )
        )


def test_a_place_of_a_silent_process_is_waited_for_then_freed(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1, tokens_per_day=1000)
    _other_process(engine, timedelta(seconds=30))  # late, not yet taken for stopped
    reserve(engine, authenticate(engine, key), 300, True, utcnow(), owner="elsewhere")
    refused = _stream(url, key)
    assert refused.status_code == 429
    said = refused.json()["error"]["message"]
    assert "von einem Stream eines Serverprozesses belegt, der angehalten hat" in said
    assert "gemeingut admin quotas free-streams" in said
    wait = int(refused.headers["retry-after"])
    assert 1 < wait <= (STOPPED_AFTER - timedelta(seconds=30)).total_seconds() + 10
    with engine.begin() as conn:  # its heartbeat ran out: it has stopped
        late = utcnow() - STOPPED_AFTER - timedelta(seconds=1)
        conn.execute(update(server_processes).values(beat_at=late))
    answered = _stream(url, key)
    assert answered.status_code == 200, answered.text
    after = usage(engine, "user", "anna", utcnow())
    assert after["tokens_reserved"] == 0 and after["tokens_today"] >= 300  # settled as used


def test_a_live_stream_may_end_any_moment_and_an_admin_frees_its_place(
    governed: tuple[str, Gateway], store_url: str
) -> None:
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1)
    _other_process(engine, timedelta(0))
    reserve(engine, authenticate(engine, key), 0, True, utcnow(), owner="elsewhere")
    refused = _stream(url, key)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "der 1 erlaubte Stream ist schon offen" in refused.json()["error"]["message"]
    runner = CliRunner()
    db = ["--db", store_url]
    missing = runner.invoke(app, ["admin", "quotas", "free-streams", "--user", "ghost", *db])
    assert missing.exit_code == 2 and "ghost" in missing.output
    freed = runner.invoke(app, ["admin", "quotas", "free-streams", "--user", "anna", *db])
    assert freed.exit_code == 0, freed.output
    assert "1 Stream-Platz von Person anna freigegeben" in freed.output
    assert _stream(url, key).status_code == 200
    [record] = [r for r in export(engine) if r["route"] == "admin:quotas-free-streams"]
    assert record["decision"] == "user:1" and record["user_pseudonym"]
