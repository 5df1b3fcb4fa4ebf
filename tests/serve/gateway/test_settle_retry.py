"""A settle that fails once is tried again: the request's tokens do not stay reserved for the
rest of the day, and its audit record is written — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, select, text

from gemeingut.serve.gateway.gate import Admission, Gateway, opening_record
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import audit_log


@contextmanager
def counters_gone_until_first_failure(url: str, engine: Engine) -> Iterator[threading.Event]:
    """Rename the quota counters away from another connection, so that the next settle fails
    for real; put them back as soon as the gateway has met that failure (once its failed
    transaction has let go of its locks)."""
    other = open_store(url)
    with other.begin() as conn:
        conn.execute(text("ALTER TABLE usage_counters RENAME TO usage_counters_away"))
    failed, restored = threading.Event(), threading.Event()
    event.listen(engine, "handle_error", lambda _context: failed.set())

    def restore() -> None:
        failed.wait(30)
        with other.begin() as conn:
            conn.execute(text("ALTER TABLE usage_counters_away RENAME TO usage_counters"))
        restored.set()

    thread = threading.Thread(target=restore)
    thread.start()
    try:
        yield failed
    finally:
        failed.set()
        thread.join()
        other.dispose()
        assert restored.is_set()


def test_settle_that_fails_once_is_retried_and_frees_the_reservation(store_url: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna", ())
    principal = authenticate(engine, create_key(engine, "anna")[1])
    set_limits(engine, "user", "anna", tokens_per_day=10_000)
    now = utcnow()
    admission = Admission(
        Gateway(engine), principal, "/v1/completions", "tiny",
        reserve(engine, principal, 4_000, stream=False, now=now),
    )  # fmt: skip
    assert usage(engine, "user", "anna", now)["tokens_reserved"] == 4_000

    with counters_gone_until_first_failure(store_url, engine) as failed:
        asyncio.run(admission.settle(200, prompt_tokens=30, completion_tokens=70))
        assert failed.is_set()  # the first attempt did fail

    today = usage(engine, "user", "anna", now)
    assert today["tokens_today"] == 100 and today["tokens_reserved"] == 0
    with engine.connect() as conn:
        record = conn.execute(
            select(audit_log).where(audit_log.c.request_id == admission.request_id)
        ).one()
    assert (record.status, record.prompt_tokens, record.completion_tokens) == (200, 30, 70)


def test_a_retry_after_a_settle_that_committed_gives_nothing_back_twice(store_url: str) -> None:
    """A connection lost during COMMIT may hide a commit that happened: the retry finds the
    complete record and leaves the counters alone."""
    engine = open_store(store_url)
    add_user(engine, "anna", ())
    principal = authenticate(engine, create_key(engine, "anna")[1])
    set_limits(engine, "user", "anna", tokens_per_day=10_000, concurrent_streams=2)
    now = utcnow()
    gateway, route = Gateway(engine), "/v1/chat/completions"
    opening = opening_record(gateway, principal, route, "tiny", "r1", "allowed")
    admission = Admission(
        gateway, principal, route, "tiny",
        reserve(engine, principal, 4_000, stream=True, now=now, then=opening), "r1",
        record_open=True,
    )  # fmt: skip
    asyncio.run(admission.settle(200, prompt_tokens=30, completion_tokens=70))
    admission._settle(200, 30, 70, decision=None, attempt=1)  # as a retry would

    today = usage(engine, "user", "anna", now)
    assert today["tokens_today"] == 100 and today["tokens_reserved"] == 0
    assert today["open_streams"] == 0
