"""A request reads the limits that apply to it once. On SQLite a request that meets a limit
not in tokens (requests per minute, open streams) read them before it queued for the write
lock and again under it; now the read before says which counters to take from, and each
conditional statement that takes reads its limit's value itself, under the lock — so a limit
lowered or lifted between the read and the take still holds as it is then."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from sqlalchemy import Engine, event

from gemeingut.i18n import text
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import (
    QuotaExceeded,
    reserve_uncounted,
    set_limits,
    usage,
)
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Hallo"}]


def reads_of_limits(store: Engine) -> list[str]:
    """Every statement from now on that reads limit rows (a SELECT of them; the takes' UPDATE
    and INSERT read a limit inside themselves, and on SQLite the key's check under the lock
    which limits are set, `test_limit_set_while_queued`: no statement of their own)."""
    reads: list[str] = []

    @event.listens_for(store, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT quota_limits."):
            reads.append(statement)

    return reads


def test_a_request_reads_its_limits_once(governed: tuple[str, Gateway], fresh_minute: None) -> None:
    url, gateway = governed
    store = gateway.engine
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", requests_per_minute=50, concurrent_streams=4)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=1)  # notes key
    reads = reads_of_limits(store)

    client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=1)
    assert len(reads) == 1, reads  # SQLite: 2 before
    reads.clear()
    list(
        client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=1, stream=True)
    )
    assert len(reads) == 1, reads
    counted = usage(store, "user", "anna", utcnow())
    assert counted["requests_this_minute"] == 3 and counted["open_streams"] == 0


def test_a_limit_changed_after_it_was_read_holds_as_it_is_now(
    tmp_path: Path, fresh_minute: None
) -> None:
    """The limits are read before the write lock (SQLite); an administrator lowers the limit
    right after that read, before the take: the request meets the new limit, and its 429 says
    the new value. Lifted after the read, the limit no longer holds the request back."""
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    principal = authenticate(store, key)
    set_limits(store, "user", "anna", requests_per_minute=5)
    changes = [{"requests_per_minute": 0}]

    @event.listens_for(store, "after_cursor_execute")
    def _after_the_read(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        # The limits' read (with the key's validity), not the key's check under the lock.
        read = statement.lstrip().startswith("SELECT quota_limits.")
        if read and changes:  # once per change, from another connection, committed
            set_limits(store, "user", "anna", **changes.pop())

    with pytest.raises(QuotaExceeded) as refused:
        reserve_uncounted(store, principal, stream=False, now=utcnow())
    assert refused.value.refusal.limit == 0
    assert "ist 0: keine Anfragen erlaubt" in text(refused.value.message, "de")

    changes.append({"requests_per_minute": None})
    held = reserve_uncounted(store, principal, stream=False, now=utcnow())
    assert held is not None and held.requests_left is None  # no limit left to tell of


def test_a_limit_lifted_after_it_refused_is_told_as_it_refused(postgres_url: str) -> None:
    """PostgreSQL reads each statement afresh: a limit lifted between the statement that
    refused and the read of what it refused is told as it was read before (1), not as a
    server error (the refusal's read finds no limit). SQLite writes one after another: no
    other writer comes between them."""
    from sqlalchemy import text as sql

    from tests.serve.gateway.conftest import fresh_database

    store = open_store(fresh_database(postgres_url, "lifted_after_refusal"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    principal = authenticate(store, key)
    set_limits(store, "user", "anna", requests_per_minute=1)
    now = utcnow()
    reserve_uncounted(store, principal, stream=False, now=now)  # the 1 request of this minute
    lifts = ["UPDATE quota_limits SET requests_per_minute = NULL WHERE subject = 'anna'"]

    @event.listens_for(store, "before_cursor_execute")
    def _before_the_refusals_read(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        refusals_read = statement.lstrip().startswith("SELECT usage_counters.used")
        if refusals_read and lifts:  # from another connection, committed
            with store.begin() as other:
                other.execute(sql(lifts.pop()))

    with pytest.raises(QuotaExceeded) as refused:
        reserve_uncounted(store, principal, stream=False, now=now)
    assert not lifts  # the limit was lifted in between
    assert (refused.value.refusal.name, refused.value.refusal.limit) == ("requests_per_minute", 1)
