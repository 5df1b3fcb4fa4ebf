"""`gemeingut admin audit new-pseudonym-key --yes` refuses while a server of the database runs:
the server read the old key at its start and would go on writing pseudonyms of it, which the
new key can no longer tie to anyone. Before, the command made the new key anyway.

A server process registers at its start (`leases.py`); the refusal names
its PID, host and last heartbeat and says to stop it first. A server that clearly stopped does
not hold the command up: killed with SIGKILL on this machine (its PID gone, its registration
left behind), or on another machine whose heartbeat is older than `STOPPED_AFTER`. The servers
are real `gemeingut serve --db` processes, on SQLite and on a throwaway PostgreSQL cluster
(whose key file `GEMEINGUT_PSEUDONYM_KEY` names).

A server reads its key when it opens the database and registers right after, before its model
loads; a key replaced in between stops its start (`test_key_replaced_at_start.py`). Where the
database failed then, it registers later (at its app's start, or with its first request), and a
new key made in between would leave it writing pseudonyms of the old one: its registration
checks the key in the same transaction and refuses, and its requests are answered 503
`pseudonym_key_replaced`, with no record under the old key's pseudonym.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, select
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.leases import STOPPED_AFTER, Leases
from gemeingut.serve.gateway.pseudonym_key import CHECK, KeyReplaced
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import database_url, open_store
from gemeingut.serve.gateway.tables import server_processes, settings
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME

runner = CliRunner()


def new_key(db: str, language: str = "en"):  # type: ignore[no-untyped-def]
    command = ["admin", "audit", "new-pseudonym-key", "--db", db, "--yes"]
    return runner.invoke(app, command, env={"GEMEINGUT_LANG": language})


@contextmanager
def database(db: str) -> Iterator[Engine]:
    """The database as it is, without its key (which may be lost), as a tool reads it."""
    engine = create_engine(database_url(db))
    try:
        yield engine
    finally:
        engine.dispose()


def check_value(db: str) -> str:
    """The database's check value of its key."""
    with database(db) as engine, engine.connect() as conn:
        return str(conn.execute(select(settings.c.value).where(settings.c.name == CHECK)).scalar())


def test_the_command_is_refused_while_a_server_runs_and_not_once_it_was_killed(
    key_of: tuple[str, Path], model_dir: Path
) -> None:
    db, key = key_of
    with database(db) as engine:  # a limited stream registers the process (its lease)
        add_user(engine, "anna")
        _, api_key = create_key(engine, "anna")
        set_limits(engine, "user", "anna", concurrent_streams=1)
    server, url = start_serving(str(model_dir), MODEL_NAME, "--db", db)
    try:
        body = {"model": MODEL_NAME, "prompt": "Die Katze", "max_tokens": 2, "stream": True}
        streamed = httpx.post(f"{url}/v1/completions", json=body, timeout=60,
                              headers={"authorization": f"Bearer {api_key}"})  # fmt: skip
        assert streamed.status_code == 200, streamed.text
        key.unlink()  # lost while the server runs, with the key in its memory
        before = check_value(db)
        refused = new_key(db)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2, refused.output
        assert f"PID {server.pid} on {socket.gethostname()}" in said, said
        assert "last heartbeat" in said and "stop every server of this database first" in said
        assert "Traceback" not in refused.output
        assert not key.exists() and check_value(db) == before  # nothing changed
        german = " ".join(new_key(db, "de").output.split())
        assert f"PID {server.pid}" in german and "zuerst" in german, german
    finally:
        os.kill(server.pid, signal.SIGKILL)  # no unregistering: its registration stays
        server.wait(timeout=20)
    made = new_key(db)
    assert made.exit_code == 0, made.output
    assert key.exists() and check_value(db) != before


def test_a_process_on_another_machine_counts_until_its_heartbeat_is_old(
    key_of: tuple[str, Path],
) -> None:
    db, key = key_of
    key.unlink()
    now = utcnow()
    elsewhere = {"machine": "rechner-2|boot|pid:[1]", "pid": 4242, "started_at": now}
    with database(db) as engine, engine.begin() as conn:
        conn.execute(server_processes.insert().values(id="a", beat_at=now, **elsewhere))
    refused = new_key(db)
    assert refused.exit_code == 2, refused.output
    assert "PID 4242 on rechner-2" in " ".join(refused.output.split()), refused.output
    assert not key.exists()
    old = now - STOPPED_AFTER - timedelta(seconds=1)
    with database(db) as engine, engine.begin() as conn:
        conn.execute(server_processes.update().values(beat_at=old))
    made = new_key(db)
    assert made.exit_code == 0, made.output
    assert key.exists()


def test_a_server_that_read_the_old_key_before_the_new_one_refuses_to_register(
    key_of: tuple[str, Path],
) -> None:
    db, key = key_of
    server = open_store(db)  # a server's start: it reads the key, then loads its model
    try:
        key.unlink()
        made = new_key(db)  # meanwhile, with no server registered
        assert made.exit_code == 0, made.output
        with pytest.raises(KeyReplaced) as refused:
            Leases(server).start()
        said = text(refused.value.message, "en")
        assert "replaced after this server read it" in said, said
        assert "start the server again" in text(refused.value.hint, "en")
        with database(db) as engine, engine.connect() as conn:
            assert conn.execute(select(server_processes)).all() == []  # never registered
        assert "ersetzt" in text(refused.value.message, "de")
    finally:
        server.dispose()
    again = open_store(db)  # started again: it reads the new key and registers
    try:
        leases = Leases(again)
        leases.start()
        leases.close()
    finally:
        again.dispose()


def test_a_server_that_served_nothing_yet_holds_the_command_up(
    key_of: tuple[str, Path], model_dir: Path
) -> None:
    """A server registers at its start (the app's lifespan), not with its first request: one
    that has answered nothing yet is seen by the command (before, it was not, and its first
    request after the new key was a 503)."""
    db, key = key_of
    server, _url = start_serving(str(model_dir), MODEL_NAME, "--db", db)
    try:
        key.unlink()
        before = check_value(db)
        refused = new_key(db)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2, refused.output
        assert f"PID {server.pid} on {socket.gethostname()}" in said, said
        assert not key.exists() and check_value(db) == before
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=20)


def test_the_server_log_says_why_it_refuses_and_what_to_do(
    key_of: tuple[str, Path],
    backend: TransformersBackend,
    serve: Callable[[FastAPI], AbstractContextManager[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The clients' 503s alone would leave the operator guessing: the log says that only a
    restart helps."""
    db, key = key_of
    engine = open_store(db)  # the server's start: it reads the key
    add_user(engine, "anna")
    _, api_key = create_key(engine, "anna")
    gateway = Gateway(engine)
    try:
        with serve(create_app(backend, gateway=gateway)) as url:
            key.unlink()
            assert new_key(db).exit_code == 0
            body = {"model": MODEL_NAME, "prompt": "Die Katze", "max_tokens": 2}
            with caplog.at_level(logging.ERROR, logger="gemeingut.serve"):
                refused = httpx.post(f"{url}/v1/completions", json=body, timeout=60,
                                     headers={"authorization": f"Bearer {api_key}"})  # fmt: skip
    finally:
        gateway.close()
    assert refused.json()["error"]["code"] == "pseudonym_key_replaced", refused.text
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    # In the server's language (German by default), as its other lines.
    assert any("wurde ersetzt" in s and "starten Sie den Server neu" in s for s in said), said


def test_an_app_not_registered_yet_says_so_at_its_start_and_refuses_requests(
    key_of: tuple[str, Path],
    backend: TransformersBackend,
    serve: Callable[[FastAPI], AbstractContextManager[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key replaced before an app that has not registered yet starts (its registration
    before the model loaded failed on the database, or it was built without `gemeingut
    serve`): its start's log says so at once, not with a client's first 503, and the process
    stays unregistered; its requests are answered 503 `pseudonym_key_replaced`."""
    db, key = key_of
    engine = open_store(db)  # the server's start: it reads the key, then loads its model
    add_user(engine, "anna")
    _, api_key = create_key(engine, "anna")
    gateway = Gateway(engine)
    key.unlink()
    assert new_key(db).exit_code == 0
    served = create_app(backend, gateway=gateway)
    try:
        with caplog.at_level(logging.ERROR, logger="gemeingut.serve"):
            asyncio.run(_started(served))
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any("wurde ersetzt" in s for s in said), said
        assert not gateway.leases.started
        with serve(served) as url:
            body = {"model": MODEL_NAME, "prompt": "Die Katze", "max_tokens": 2}
            refused = httpx.post(f"{url}/v1/completions", json=body, timeout=60,
                                 headers={"authorization": f"Bearer {api_key}"})  # fmt: skip
    finally:
        gateway.close()
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "pseudonym_key_replaced", refused.text


async def _started(served: FastAPI) -> None:
    """The app's start (its lifespan up to serving), as uvicorn runs it in each process."""
    async with served.router.lifespan_context(served):
        pass
