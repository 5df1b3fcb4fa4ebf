"""Quotas in tokens: reserved before, settled after, and never more than the limit, however many
threads and processes reserve at once — on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, literal, select

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.identity import add_group, add_user, authenticate, create_key
from gemeingut.serve.gateway.quotas import (
    BLOCKED_RETRY_AFTER,
    QuotaExceeded,
    reserve,
    set_limits,
    settle,
    usage,
)
from gemeingut.serve.gateway.store import open_store, reading, writing

NOON = datetime(2026, 12, 3, 12, 0, 30)


def anna_in_schule(url: str) -> str:
    engine = open_store(url)
    add_group(engine, "schule")
    add_user(engine, "anna", ("schule",))
    return create_key(engine, "anna")[1]


def reserve_many(url: str, key: str, attempts: int, tokens: int, stream: bool = False) -> int:
    """In its own process: `attempts` reservations from 8 threads; how many were granted.

    Here, in a module that imports no model code, so that a spawned process starts in a second."""
    engine = open_store(url)
    principal = authenticate(engine, key)

    def attempt(_: int) -> bool:
        try:
            reserve(engine, principal, tokens, stream=stream, now=NOON)
        except QuotaExceeded:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(attempt, range(attempts)))


def granted_across_processes(url: str, reserving: Callable[[str, str, int, int], int]) -> int:
    """Three processes, as three servers, each `reserving` 20 times 70 tokens of the group's
    1,000 a day at once: how many reservations were granted."""
    key = anna_in_schule(url)
    set_limits(open_store(url), "group", "schule", tokens_per_day=1_000)
    spawn = multiprocessing.get_context("spawn")  # as separate server processes would be
    with ProcessPoolExecutor(3, mp_context=spawn) as pool:
        return sum(pool.map(reserving, [url] * 3, [key] * 3, [20] * 3, [70] * 3))


def test_concurrent_reservations_from_several_processes_never_overshoot(store_url: str) -> None:
    assert granted_across_processes(store_url, reserve_many) == 1_000 // 70
    today = usage(open_store(store_url), "group", "schule", NOON)
    assert today["tokens_reserved"] == 14 * 70 and today["tokens_today"] == 0


def test_stream_places_taken_from_several_processes_never_overshoot(store_url: str) -> None:
    """A stream's place is inserted only where the count of live places leaves room, after the
    subject's `streams` row is locked (which the first stream of all makes, here several at
    once): never more places than the limit."""
    key = anna_in_schule(store_url)
    set_limits(open_store(store_url), "group", "schule", concurrent_streams=5)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=spawn) as pool:
        urls, keys = [store_url] * 3, [key] * 3
        granted = sum(pool.map(reserve_many, urls, keys, [12] * 3, [0] * 3, [True] * 3))
    assert granted == 5
    assert usage(open_store(store_url), "group", "schule", NOON)["open_streams"] == 5


def test_settling_turns_the_reservation_into_the_tokens_used(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "user", "anna", tokens_per_day=1_000)
    principal = authenticate(engine, key)
    held = reserve(engine, principal, 900, stream=False, now=NOON)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 200, stream=False, now=NOON)
    assert refused.value.limit == "tokens_per_day"
    said = text(refused.value.message)
    assert "900 von 1.000 Tokens" in said and "Person anna" in said
    assert 0 < refused.value.retry_after <= 24 * 3600
    with writing(engine) as conn:
        settle(conn, held, used_tokens=120)
    assert usage(engine, "user", "anna", NOON) | {} == {
        "requests_this_minute": 0,
        "tokens_today": 120,
        "tokens_reserved": 0,
        "open_streams": 0,
    }
    reserve(engine, principal, 800, stream=False, now=NOON)  # fits again


def test_requests_per_minute_and_open_streams_are_counted_per_subject(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "group", "schule", requests_per_minute=3, concurrent_streams=2)
    principal = authenticate(engine, key)
    streams = [reserve(engine, principal, 10, stream=True, now=NOON) for _ in range(2)]
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=True, now=NOON)
    assert refused.value.limit == "concurrent_streams"
    with writing(engine) as conn:
        settle(conn, streams[0], used_tokens=5)
    reserve(engine, principal, 10, stream=True, now=NOON)  # the third request this minute
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=False, now=NOON)
    assert refused.value.limit == "requests_per_minute" and refused.value.retry_after == 30
    next_minute = NOON.replace(minute=1)
    reserve(engine, principal, 10, stream=False, now=next_minute)


def test_a_refused_reservation_takes_nothing_from_the_other_limits(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "group", "schule", tokens_per_day=10_000)  # checked first: it fits
    set_limits(engine, "user", "anna", tokens_per_day=100)  # checked last: it does not
    principal = authenticate(engine, key)
    with pytest.raises(QuotaExceeded, match="Person anna"):
        reserve(engine, principal, 500, stream=False, now=NOON)
    assert usage(engine, "group", "schule", NOON)["tokens_reserved"] == 0


def test_limits_of_unknown_subjects_or_names_are_input_errors(store_url: str) -> None:
    engine = open_store(store_url)
    with pytest.raises(InputError, match="keine Gruppe „nirgends“"):
        set_limits(engine, "group", "nirgends", tokens_per_day=5)
    add_group(engine, "schule")
    with pytest.raises(InputError, match="unbekannte Grenze"):
        set_limits(engine, "group", "schule", euros_per_day=5)


def test_a_stream_place_of_a_killed_process_is_freed_after_its_lease(store_url: str) -> None:
    """A process killed mid-stream never settles; its place stops counting after the lease
    and the hourly tidy removes it, so the person is not locked out for good."""
    from gemeingut.serve.gateway.quotas import STREAM_LEASE, prune_counters

    engine = open_store(store_url)
    add_user(engine, "eva")
    principal = authenticate(engine, create_key(engine, "eva")[1])
    set_limits(engine, "user", "eva", concurrent_streams=1)
    reserve(engine, principal, 10, stream=True, now=NOON)  # its process dies: never settled
    with pytest.raises(QuotaExceeded):
        reserve(engine, principal, 10, stream=True, now=NOON + STREAM_LEASE / 2)
    assert usage(engine, "user", "eva", NOON)["open_streams"] == 1
    later = NOON + STREAM_LEASE + timedelta(seconds=1)
    assert usage(engine, "user", "eva", later)["open_streams"] == 0
    assert prune_counters(engine, later) >= 1
    alive = reserve(engine, principal, 10, stream=True, now=later)
    with writing(engine) as conn:
        settle(conn, alive, used_tokens=3)
    assert usage(engine, "user", "eva", later)["open_streams"] == 0


def test_a_loaded_sqlite_store_keeps_its_connections_open(tmp_path) -> None:
    """40 threads at once, twice: the second round reuses the first round's connections
    (opening one runs the WAL and durability pragmas again)."""
    engine = open_store(str(tmp_path / "gateway.db"))
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    together = threading.Barrier(40)

    def read(_: int) -> None:
        with reading(engine) as conn:
            together.wait(timeout=30)  # all 40 hold a connection at the same time
            conn.execute(select(literal(1)))

    with ThreadPoolExecutor(40) as pool:
        list(pool.map(read, range(40)))
        first = len(opened)
        list(pool.map(read, range(40)))
    assert first <= 40 and len(opened) == first


def test_a_refusal_names_the_key_and_counts_in_words(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    principal = authenticate(engine, key)
    set_limits(engine, "key", principal.key_id, concurrent_streams=1, tokens_per_day=100)
    reserve(engine, principal, 10, stream=True, now=NOON)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=True, now=NOON)
    said = text(refused.value.message)
    assert said == (
        f"die Grenze „gleichzeitige Streams“ von Schlüssel {principal.key_id}: der 1 erlaubte "
        "Stream ist schon offen (diese Grenze zählt nur Streams; Anfragen ohne Stream begrenzen "
        "„Anfragen pro Minute“ und „Tokens pro Tag“)"
    )
    with pytest.raises(QuotaExceeded) as refused:  # an embedding: its input is all it counts
        reserve(engine, principal, 500, stream=False, now=NOON, answers=False)
    said = text(refused.value.message)
    assert "Eingabe dieser Anfrage zählt bis zu 500" in said and "max_tokens" not in said


def test_a_large_groups_billions_of_tokens_fit_and_beyond_the_range_is_refused(
    store_url: str,
) -> None:
    """3 billion tokens a day overflowed PostgreSQL's integer; both stores take the same range."""
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "group", "schule", tokens_per_day=3_000_000_000)
    principal = authenticate(engine, key)
    held = reserve(engine, principal, 2_500_000_000, stream=False, now=NOON)
    with writing(engine) as conn:
        settle(conn, held, used_tokens=2_400_000_000)
    assert usage(engine, "group", "schule", NOON)["tokens_today"] == 2_400_000_000
    for name, value in (
        ("tokens_per_day", 10**20),
        ("tokens_per_day", -1),
        ("requests_per_minute", 2**31),
        ("concurrent_streams", 3_000_000_000),
    ):
        option = "--" + name.replace("_", "-")
        with pytest.raises(InputError, match=f"{option} muss zwischen 0 und"):
            set_limits(engine, "group", "schule", **{name: value})
    set_limits(engine, "group", "schule", tokens_per_day=10**15)  # the most there is


def test_a_refusal_leaves_no_connection_that_fails_later_writes(store_url: str) -> None:
    """An operator's server answered 429 correctly, then only 500s ("database is locked" at
    BEGIN IMMEDIATE, at once): the refusal left a half-read statement, and its old snapshot, on
    a pooled SQLite connection. The server keeps a refusal alive a while (its traceback, in
    reference cycles); here refusals are kept, and another connection commits in between, as
    every request's audit record does."""
    key = anna_in_schule(store_url)
    engine, other = open_store(store_url), open_store(store_url)
    set_limits(engine, "user", "anna", tokens_per_day=100_000)
    set_limits(engine, "group", "schule", requests_per_minute=3)  # checked first
    principal = authenticate(engine, key)
    refusals, answers = [], []
    for minute in (NOON, NOON + timedelta(minutes=1)):
        for attempt in range(5):
            try:
                reserve(engine, principal, 10, stream=False, now=minute)
                answers.append(200)
            except QuotaExceeded as refused:
                refusals.append(refused)
                answers.append(429)
            add_group(other, f"klasse-{minute:%M}-{attempt}")
    assert answers == [200, 200, 200, 429, 429] * 2
    assert usage(engine, "user", "anna", NOON)["tokens_reserved"] == 60


def test_a_limit_of_zero_says_blocked_and_never_to_wait(store_url: str) -> None:
    """tokens_per_day 0 said "0 of 0 tokens … or wait for 00:00 UTC" with a Retry-After of
    hours; a blocked limit says "ist 0" as the others do, and waiting does not lift it."""
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    principal = authenticate(engine, key)
    set_limits(engine, "user", "anna", tokens_per_day=0)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 50, stream=False, now=NOON)
    said = text(refused.value.message)
    assert (
        said == "die Grenze „Tokens pro Tag“ von Person anna ist 0: gesperrt, keine Tokens erlaubt"
    )
    assert refused.value.retry_after == BLOCKED_RETRY_AFTER
    set_limits(engine, "user", "anna", tokens_per_day=100_000)
    with pytest.raises(QuotaExceeded) as refused:  # more than a whole day: waiting cannot help
        reserve(engine, principal, 250_000, stream=False, now=NOON)
    said = text(refused.value.message)
    assert "ist 100.000" in said and "mehr als ein ganzer Tag erlaubt" in said
    assert "warten" not in said and refused.value.retry_after == BLOCKED_RETRY_AFTER
    set_limits(engine, "user", "anna", tokens_per_day=None, requests_per_minute=0)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 50, stream=False, now=NOON)
    assert refused.value.retry_after == BLOCKED_RETRY_AFTER
    set_limits(engine, "user", "anna", requests_per_minute=None, concurrent_streams=0)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 50, stream=True, now=NOON)
    said = text(refused.value.message)
    assert "ist 0: keine Streams erlaubt" in said and "Anfragen ohne Stream" in said
    assert refused.value.retry_after == BLOCKED_RETRY_AFTER


def test_concurrent_streams_holds_streams_only(store_url: str) -> None:
    """The limit's semantics are unchanged: a request without stream passes it (it is held by
    requests_per_minute and tokens_per_day), and the refusal of a stream says so."""
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    principal = authenticate(engine, key)
    set_limits(engine, "group", "schule", concurrent_streams=1, requests_per_minute=2)
    reserve(engine, principal, 10, stream=True, now=NOON)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=True, now=NOON)
    assert "zählt nur Streams" in text(refused.value.message)
    reserve(engine, principal, 10, stream=False, now=NOON)  # not a stream: not counted there
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=False, now=NOON)
    assert refused.value.limit == "requests_per_minute"  # the 2 of this minute are used


def test_use_counts_from_when_a_limit_is_set(store_url: str) -> None:
    """No counter exists for anyone without a limit: tokens used before a tokens_per_day is
    set do not count against it (what `quotas set` and the docs say)."""
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    principal = authenticate(engine, key)
    before = reserve(engine, principal, 900, stream=False, now=NOON)
    with writing(engine) as conn:
        settle(conn, before, used_tokens=900)
    set_limits(engine, "user", "anna", tokens_per_day=1_000)
    assert usage(engine, "user", "anna", NOON)["tokens_today"] == 0
    reserve(engine, principal, 1_000, stream=False, now=NOON)  # the whole day still fits
