"""A running server follows the periods an administrator stores (`admin content retention`,
`admin audit retention`) within seconds, without a restart: content logging switched off stops
storing prompts, and /v1/policy says what applies now."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
from sqlalchemy import func, select
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.retention import REREAD_SECONDS
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

runner = CliRunner()


def kept(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(content_log)).scalar_one())


def admin(db: str, *args: str) -> str:
    done = runner.invoke(app, ["admin", *args, "--db", db])
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def soon(url: str, holds: Callable[[dict], bool]) -> dict:
    """The audit terms of /v1/policy once `holds` is true of them (a few seconds at most)."""
    deadline = time.monotonic() + 3 * REREAD_SECONDS + 5
    while True:
        terms = httpx.get(f"{url}/v1/policy").json()["audit_log"]
        if holds(terms) or time.monotonic() > deadline:
            return terms
        time.sleep(0.2)


def test_a_running_server_follows_content_logging_and_retention_changed_by_the_admin(
    model_dir: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "gateway.db")
    engine = open_store(db)
    add_user(engine, "anna")
    _key_id, key = create_key(engine, "anna")
    start = ("--db", db, "--content-log-days", "7", "--audit-retention-days", "90")
    with serving_process(str(model_dir), MODEL_NAME, *start) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)

        def ask() -> None:
            client.completions.create(model=MODEL_NAME, prompt="Personalakte 4711", max_tokens=2)

        ask()
        assert kept(engine) == 1
        off = admin(db, "content", "retention", "--off")
        assert "aus (es werden keine Inhalte protokolliert)" in off
        assert "laufende Server protokollieren binnen Sekunden keine Inhalte mehr" in off
        assert "neu gestartet" not in off
        assert "1 gespeicherte Anfrage jetzt gelöscht" in off and kept(engine) == 0
        terms = soon(url, lambda t: not t["content"])
        assert terms["content"] is False and terms["content_retention_days"] is None
        ask()
        assert kept(engine) == 0  # no prompt stored once it is off

        audit = admin(db, "audit", "retention", "--days", "30")
        assert "binnen Sekunden auf /v1/policy" in audit
        assert soon(url, lambda t: t["retention_days"] == 30)["retention_days"] == 30

        admin(db, "content", "retention", "--days", "3")
        assert soon(url, lambda t: t["content"])["content_retention_days"] == 3
        ask()
        assert kept(engine) == 1
