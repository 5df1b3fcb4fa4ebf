"""Retention the server enforces itself: old audit records go, recent ones stay, past quota
windows are forgotten, and /v1/policy tells users what is kept and for how long. The periods
belong to the deployment: stored once for every server of the database, changed on purpose."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import create_engine, func, select
from sqlalchemy import text as sqltext
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.retention import (
    AUDIT_DAYS,
    Retention,
    agree_retention,
    keep_tidy,
    set_retention,
    stored_retention,
    stored_values,
    tidy_once,
)
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import audit_log, settings, usage_counters
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
NOW = datetime(2026, 12, 3, 12, 0)
runner = CliRunner()


def admin(db: str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", db])


def test_records_past_retention_and_old_windows_are_removed(store_url: str) -> None:
    engine = open_store(store_url)
    gateway = Gateway(engine)
    for age_days in (100, 91, 89, 1):
        gateway.audit.write(
            at=NOW - timedelta(days=age_days),
            request_id=f"r{age_days}",
            route="/v1/chat/completions",
            status=200,
            decision="allowed",
        )
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=10, tokens_per_day=1000)
    principal = authenticate(engine, key)
    reserve(engine, principal, 5, stream=False, now=NOW - timedelta(days=3))
    reserve(engine, principal, 5, stream=False, now=NOW)
    assert tidy_once(engine, 90, NOW)[0] == 2
    with engine.connect() as conn:
        kept = sorted(conn.execute(select(audit_log.c.request_id)).scalars())
        windows = conn.execute(select(func.count()).select_from(usage_counters)).scalar()
    assert kept == ["r1", "r89"]
    assert windows == 2  # this minute and today; the old minute and day are gone
    assert tidy_once(engine, None, NOW)[0] == 0  # no retention set: records stay


def test_the_policy_page_says_what_is_logged_and_for_how_long(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    gateway = Gateway(open_store(str(tmp_path / "gateway.db")))
    with serve(create_app(backend, gateway=gateway, audit_retention_days=90)) as url:
        terms = httpx.get(f"{url}/v1/policy").json()["audit_log"]
    assert terms["kept"] and not terms["content"] and not terms["ip_addresses"]
    assert terms["retention_days"] == 90 and "user_pseudonym" in terms["fields"]


def test_the_periods_are_the_deployments_not_the_last_starts(store_url: str) -> None:
    """Whichever server started last set the retention, the record and the purge guard; now
    the first value is stored for every server, a server without the option uses it, and one
    with another value is refused, naming both and how to change it."""
    engine = open_store(store_url)
    assert agree_retention(engine, 30, 7) == Retention(30, 7)
    assert agree_retention(engine, None, None) == Retention(30, 7)  # no option: the stored
    with pytest.raises(InputError) as refused:
        agree_retention(engine, 90, None)
    said, hint = text(refused.value.message), text(refused.value.hint)
    assert said.startswith("--audit-retention-days 90 weicht vom Wert ab") and "30 Tage" in said
    assert "mit --audit-retention-days 30 oder ohne" in hint
    assert "`gemeingut admin audit retention --days 90`" in hint
    with pytest.raises(InputError, match=r"--content-log-days 1 weicht .*: 7 Tage"):
        agree_retention(engine, 30, 1)
    # A server started before (create_app records what it was given) changes nothing.
    record_deployment(engine, deployment_facts("m", None, 90, None, NOW, content_log_days=1))
    read = read_record(engine, ControllerFacts(), NOW)
    assert read.deployment["audit_retention_days"] == "30"
    record = render_record(read, "de")
    assert "Protokolleinträge werden nach 30 Tagen gelöscht" in record
    assert "Gespeicherte Inhalte werden nach 7 Tagen gelöscht" in record
    assert set_retention(engine, AUDIT_DAYS, None) == "30"  # switched off on purpose
    assert agree_retention(engine, None, None) == Retention(None, 7)
    with pytest.raises(InputError, match=r"keine \(Einträge bleiben") as refused:
        agree_retention(engine, 30, None)
    assert "diesen ohne --audit-retention-days starten" in text(refused.value.hint)
    assert "Keine Löschfrist festgelegt" in render_record(
        read_record(engine, ControllerFacts(), NOW), "de"
    )
    set_retention(engine, AUDIT_DAYS, 1)
    record = render_record(read_record(engine, ControllerFacts(), NOW), "de")
    assert "Protokolleinträge werden nach 1 Tag gelöscht" in record


def test_the_hourly_tidy_applies_the_stored_period(store_url: str) -> None:
    """Every server's tidy reads the period stored then: a change reaches running servers."""
    engine = open_store(store_url)
    gateway = Gateway(engine)
    now = utcnow()
    for age_days in (40, 10):
        gateway.audit.write(
            at=now - timedelta(days=age_days),
            request_id=f"r{age_days}",
            route="/v1/chat/completions",
            status=200,
            decision="allowed",
        )
    set_retention(engine, AUDIT_DAYS, 30)
    stop = keep_tidy(engine)
    try:
        deadline = time.monotonic() + 30
        while len(export_all(engine)) != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert [r["request_id"] for r in export_all(engine)] == ["r10"]


def export_all(engine) -> list[dict]:
    from gemeingut.serve.gateway.audit_log import export

    return list(export(engine))


def test_an_old_database_keeps_the_retention_its_last_start_recorded(store_url: str) -> None:
    """Before revision 0005 each start wrote its own `deployment.audit_retention_days`; the
    migration makes the last one the deployment's."""
    engine = create_engine(database_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        for name, value in (("audit_retention_days", "45"), ("content_log_days", "")):
            conn.execute(
                sqltext("INSERT INTO settings (name, value) VALUES (:name, :value)"),
                {"name": f"deployment.{name}", "value": value},
            )
    engine.dispose()
    upgraded = open_store(store_url)
    assert stored_retention(upgraded) == Retention(45, None)
    assert stored_values(upgraded) == {"audit_retention_days": "45"}
    with upgraded.connect() as conn:
        names = set(conn.execute(select(settings.c.name)).scalars())
    assert not {"deployment.audit_retention_days", "deployment.content_log_days"} & names
    with pytest.raises(InputError, match="45 Tage"):
        agree_retention(upgraded, 30, None)


def test_an_operator_changes_the_retention_for_every_server(tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.db")
    engine = open_store(db)
    agree_retention(engine, 90, None)
    shown = admin(db, "audit", "retention")
    assert shown.exit_code == 0 and "Aufbewahrungsfrist des Protokolls" in shown.output
    assert "90 Tage" in shown.output
    changed = admin(db, "audit", "retention", "--days", "30")
    assert changed.exit_code == 0, changed.output
    assert "30 Tage (vorher: 90 Tage)" in changed.output and "binnen Sekunden" in changed.output
    assert stored_retention(engine).audit_days == 30
    both = admin(db, "audit", "retention", "--days", "5", "--off")
    assert both.exit_code == 2 and "schließen einander aus" in both.output
    on = admin(db, "content", "retention", "--days", "7")
    assert on.exit_code == 0 and "Protokollierung der Inhalte" in on.output
    off = admin(db, "content", "retention", "--off")
    assert off.exit_code == 0 and "aus (es werden keine Inhalte protokolliert)" in off.output
    assert stored_retention(engine) == Retention(30, None)
    decisions = [
        (r["route"], r["decision"]) for r in export_all(engine) if r["route"].endswith("-retention")
    ]
    assert decisions == [
        ("admin:audit-retention", "set:30"),
        ("admin:content-retention", "set:7"),
        ("admin:content-retention", "off:erased=0"),
    ]
    guard = admin(db, "audit", "purge", "--older-than", "10d", "--yes")
    assert guard.exit_code == 2 and "Aufbewahrungsfrist von 30 Tagen" in guard.output


def test_a_server_uses_the_stored_period_or_refuses_another(
    model_dir: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "gateway.db")
    agree_retention(open_store(db), 30, 7)
    refused = runner.invoke(
        app, ["serve", str(model_dir), "--db", db, "--audit-retention-days", "90"]
    )
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "--audit-retention-days 90 weicht vom Wert ab" in said and "30 Tage" in said
    with serving_process(str(model_dir), MODEL_NAME, "--db", db) as url:
        terms = httpx.get(f"{url}/v1/policy").json()["audit_log"]
    assert terms["retention_days"] == 30 and terms["content_retention_days"] == 7
