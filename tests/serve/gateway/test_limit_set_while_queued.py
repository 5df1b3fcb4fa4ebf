"""On SQLite a request without a limit in tokens reads its limits before it queues for the
write lock. A limit set in between (a new limit row, or a limit of a row read that was not set
then) used to be missed by that request: it took only from the limits it had read. Now the
statement that checks the key under the lock also says which limits are set, and where one was
set since the read, the limits are read again there: the request meets the new limit, or (a
limit in tokens) has its tokens counted. No statement more where nothing changed
(`test_gateway_round_trips`). Real SQLite; the administrator's change is committed from
another connection right after the request's read."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from gemeingut.serve.gateway.identity import (
    Principal,
    add_group,
    add_user,
    authenticate,
    create_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import QuotaExceeded, reserve_uncounted, set_limits, usage
from gemeingut.serve.gateway.store import open_store


def anna_limited(tmp_path: Path) -> tuple[Engine, Principal]:
    """anna of group amt, 5 requests a minute of her own: a limit, but not in tokens."""
    store = open_store(str(tmp_path / "gateway.db"))
    add_group(store, "amt")
    add_user(store, "anna", ("amt",))
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", requests_per_minute=5)
    return store, authenticate(store, key)


def after_the_read(store: Engine, kind: str, subject: str, **limits: int) -> list[str]:
    """Set `limits` right after the request's read of its limits (before it has the write
    lock), once, committed from another connection; the list says whether it was done."""
    done: list[str] = []

    @event.listens_for(store, "after_cursor_execute")
    def _set(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT quota_limits.") and not done:
            done.append(statement)
            set_limits(store, kind, subject, **limits)

    return done


@pytest.mark.parametrize(
    ("kind", "subject", "limit"),
    [("key", None, "requests_per_minute"), ("group", "amt", "requests_per_minute")],
)
def test_a_new_limit_row_set_after_the_read_refuses(
    tmp_path: Path, kind: str, subject: str | None, limit: str
) -> None:
    store, anna = anna_limited(tmp_path)
    done = after_the_read(store, kind, subject or anna.key_id, **{limit: 0})
    with pytest.raises(QuotaExceeded) as refused:
        reserve_uncounted(store, anna, stream=False, now=utcnow())
    assert done
    assert (refused.value.refusal.whose, refused.value.limit) == (kind, limit)
    assert usage(store, "user", "anna", utcnow())["requests_this_minute"] == 0  # undone


def test_a_limit_of_a_row_read_set_after_the_read_refuses(tmp_path: Path) -> None:
    """Her own row was read with no limit of open streams; 0 is set before the lock."""
    store, anna = anna_limited(tmp_path)
    done = after_the_read(store, "user", "anna", concurrent_streams=0)
    with pytest.raises(QuotaExceeded) as refused:
        reserve_uncounted(store, anna, stream=True, now=utcnow())
    assert done and refused.value.limit == "concurrent_streams"


def test_a_limit_in_tokens_set_after_the_read_has_the_tokens_counted(tmp_path: Path) -> None:
    store, anna = anna_limited(tmp_path)
    done = after_the_read(store, "member", "amt", tokens_per_day=1000)
    assert reserve_uncounted(store, anna, stream=False, now=utcnow()) is None
    assert done
    assert usage(store, "user", "anna", utcnow())["requests_this_minute"] == 0  # nothing taken


def test_a_change_that_sets_nothing_new_keeps_what_was_read(tmp_path: Path) -> None:
    """A limit lowered after the read needs no second read: the take reads its value."""
    store, anna = anna_limited(tmp_path)
    done = after_the_read(store, "user", "anna", requests_per_minute=0)
    reads: list[str] = []

    @event.listens_for(store, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT quota_limits."):
            reads.append(statement)

    with pytest.raises(QuotaExceeded) as refused:
        reserve_uncounted(store, anna, stream=False, now=utcnow())
    assert done and refused.value.refusal.limit == 0
    # the request's read, the administrator's (set_limits), the 429's telling of every limit
    assert len(reads) == 3, reads
