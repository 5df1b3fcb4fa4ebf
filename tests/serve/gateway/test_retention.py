"""Retention the server enforces itself: old audit records go, recent ones stay, past quota
windows are forgotten, and /v1/policy tells users what is kept and for how long."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key
from gemeingut.serve.gateway.quotas import reserve, set_limits
from gemeingut.serve.gateway.retention import tidy_once
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import audit_log, usage_counters

Serve = Callable[[FastAPI], AbstractContextManager[str]]
NOW = datetime(2026, 12, 3, 12, 0)


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
