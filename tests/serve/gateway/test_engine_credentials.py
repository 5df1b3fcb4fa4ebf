"""The engine's URL may carry credentials (`--upstream http://user:password@host:port`) and the
engine's key comes from the environment: neither leaves the server except to the engine. The
operator sees the address without them (the startup line, the settings, the record of
processing activities) and, on the server's log, why the engine fails, once per kind of
failure until it answers again; a client learns that the engine cannot be reached, never
where it is."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import this_process
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import settings
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
USER, PASSWORD, ENGINE_KEY, TOKEN = "dienstkonto", "S3cret-Wort", "ek-Geheim-4711", "T0ken-99"
SECRETS = (USER, PASSWORD, ENGINE_KEY, TOKEN)
HELLO = [{"role": "user", "content": "Hallo"}]
REFUSED = "die vorgelagerte Engine ist nicht erreichbar (Verbindung abgelehnt)"


@contextmanager
def gateway_process(upstream: str, db: Path, log: Path) -> Iterator[str]:
    """`gemeingut serve --upstream … --upstream-key-env …` as an operator starts it, in German;
    its stderr in `log`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gemeingut.cli", "serve", "--upstream", upstream]
    command += ["--upstream-key-env", "ENGINE_KEY", "--model-name", "amt-modell"]
    command += ["--db", str(db), "--port", str(port)]
    env = os.environ | {"ENGINE_KEY": ENGINE_KEY, "GEMEINGUT_LANG": "de"}
    with log.open("wb") as err:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"{url}/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not start: {log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_engines_credentials_and_address_stay_with_the_operator(
    model_dir: Path, tmp_path: Path
) -> None:
    db, log = tmp_path / "gateway.db", tmp_path / "stderr.log"
    store = open_store(str(db))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    store.dispose()
    signed = {"authorization": f"Bearer {key}"}
    chat = {"model": "amt-modell", "messages": HELLO, "max_tokens": 2}
    engine, address = start_serving(model_dir, MODEL_NAME)  # http://127.0.0.1:PORT
    try:
        upstream = address.replace("://", f"://{USER}:{PASSWORD}@")
        with gateway_process(upstream, db, log) as url:
            answered = httpx.post(f"{url}/v1/chat/completions", json=chat, headers=signed)
            engine.terminate()  # the engine goes away while the gateway serves
            engine.wait(timeout=20)
            ready = [httpx.get(f"{url}/ready") for _ in range(2)]  # no key, any load balancer
            failed = [
                httpx.post(f"{url}/v1/chat/completions", json=chat, headers=signed)
                for _ in range(3)
            ]
    finally:
        engine.kill()
        engine.wait()
    assert answered.status_code == 200
    assert [r.status_code for r in ready] == [503, 503]
    assert [r.status_code for r in failed] == [502, 502, 502]
    for response in ready + failed:
        assert response.json()["error"]["message"] == REFUSED
        assert address.removeprefix("http://") not in response.text
    stderr = log.read_text()
    assert f"Engine {address} (--upstream;" in stderr  # the startup line
    # why, for the operator: once for two probes and three requests
    assert stderr.count(f"{address}: {REFUSED}") == 1, stderr
    with create_engine(database_url(str(db))).connect() as conn:
        stored = conn.execute(
            select(settings.c.value).where(settings.c.name.like("server.%.engine"))
        ).scalar_one()  # the server process's own settings (records_servers.py)
    assert stored == address
    records = CliRunner().invoke(cli_app, ["admin", "audit", "records", "--db", str(db)])
    assert f"Inferenz-Maschine `{address}`" in records.stdout
    files = b"".join(f.read_bytes() for f in tmp_path.glob("gateway.db*"))
    for secret in SECRETS[:3]:
        for shown in (stderr, records.stdout, *(r.text for r in ready + failed)):
            assert secret not in shown
        assert secret.encode() not in files


def test_an_engines_failures_are_logged_once_per_kind_and_its_pages_not_shown(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 page of the engine's proxy names hosts of the provider's network: the client
    hears the status, the log has the page, once until the engine answers again."""
    engine, failing = FastAPI(), [False]

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "wechselhaft", "max_model_len": 256}]}

    @engine.post("/v1/chat/completions", response_model=None)
    def chat() -> dict | HTMLResponse:
        if failing[0]:
            return HTMLResponse("<h1>503</h1> proxy at gpu-node-7.intern:8000", status_code=503)
        return {"choices": [{"index": 0, "message": {"content": "Hallo"}, "finish_reason": "stop"}]}

    @engine.post("/tokenize")
    def no_tokenizer() -> HTMLResponse:
        return HTMLResponse("", status_code=404)

    body = {"model": "wechselhaft", "messages": HELLO, "max_tokens": 2}
    caplog.set_level(logging.WARNING, logger="gemeingut.serve")
    with serve(engine) as engine_url:
        backend = UpstreamBackend(engine_url.replace("://", f"://{USER}:{PASSWORD}@"))
        with serve(create_app(backend)) as url:
            said = []
            for failing[0] in (True, True, False, True):
                answer = httpx.post(f"{url}/v1/chat/completions", json=body)
                said.append((answer.status_code, answer.json().get("error", {}).get("message")))
    assert said == [
        (502, "die vorgelagerte Engine antwortete 503"),
        (502, "die vorgelagerte Engine antwortete 503"),
        (200, None),
        (502, "die vorgelagerte Engine antwortete 503"),
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "gemeingut.serve"]
    failure = (
        f"{engine_url}: die vorgelagerte Engine antwortete 503: "
        "<h1>503</h1> proxy at gpu-node-7.intern:8000"
    )
    again = f"die vorgelagerte Engine unter {engine_url} antwortet wieder"
    assert logged == [failure, again, failure]
    assert not any(secret in line for line in logged for secret in SECRETS)


def test_the_record_of_processing_names_the_engine_without_its_credentials(
    tmp_path: Path,
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    now = datetime(2026, 12, 4, 9, 30)
    upstream = f"https://{USER}:{PASSWORD}@GPU-1.amt.example:8443/v1?api_key={TOKEN}#x"
    record_deployment(engine, deployment_facts("mistral", upstream, None, None, now))
    with engine.connect() as conn:
        stored = dict(conn.execute(select(settings.c.name, settings.c.value)).all())
    assert stored[f"server.{this_process()}.engine"] == "https://gpu-1.amt.example:8443/v1"
    record = read_record(engine, ControllerFacts(), now)
    for language in ("de", "en"):
        document = render_record(record, language)
        assert "`https://gpu-1.amt.example:8443/v1`" in document
        assert not any(secret in document for secret in SECRETS)


def test_an_older_database_forgets_the_engines_credentials_when_upgraded(store_url: str) -> None:
    """Servers before revision 0008 stored `--upstream` as given."""
    engine = create_engine(database_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
        conn.execute(
            text("INSERT INTO settings (name, value) VALUES ('deployment.engine', :url)"),
            {"url": f"http://{USER}:{PASSWORD}@gpu-1:8000?token={TOKEN}"},
        )
    engine.dispose()
    upgraded = open_store(store_url)
    with upgraded.connect() as conn:
        stored = conn.execute(
            select(settings.c.value).where(settings.c.name == "deployment.engine")
        ).scalar_one()
    assert stored == "http://gpu-1:8000"
