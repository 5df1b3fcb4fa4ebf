"""A limit set anew counts from then on, as `quotas set` says, also where a counter was left
from before: a limit lifted and set again the same day, kept by another limit of the subject,
or a per-member limit's counters of each member. Requests still running keep what they
reserved, so the new limit is never overshot. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import authenticate, utcnow
from gemeingut.serve.gateway.quotas import (
    QuotaExceeded,
    member_usage,
    reserve,
    set_limits,
    settle,
    usage,
)
from gemeingut.serve.gateway.store import open_store, writing
from tests.serve.gateway.test_quotas import NOON, anna_in_schule

runner = CliRunner()


def admin(db: Path | str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def used(engine, principal, tokens: int, now=NOON) -> None:
    held = reserve(engine, principal, tokens, stream=False, now=now)
    with writing(engine) as conn:
        settle(conn, held, tokens)


def test_tokens_per_day_set_again_starts_at_zero_and_running_requests_still_count(
    store_url: str,
) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "user", "anna", requests_per_minute=100, tokens_per_day=1_000)
    principal = authenticate(engine, key)
    used(engine, principal, 900)
    running = reserve(engine, principal, 60, stream=False, now=NOON)  # in flight throughout
    set_limits(engine, "user", "anna", tokens_per_day=None)  # the requests per minute stay
    set_limits(engine, "user", "anna", tokens_per_day=1_000)
    today = usage(engine, "user", "anna", NOON)
    assert (today["tokens_today"], today["tokens_reserved"]) == (0, 60)
    with pytest.raises(QuotaExceeded):  # the running request's 60 still hold their place
        reserve(engine, principal, 941, stream=False, now=NOON)
    rest = reserve(engine, principal, 940, stream=False, now=NOON)
    with writing(engine) as conn:
        settle(conn, running, used_tokens=60)
        settle(conn, rest, used_tokens=940)
    today = usage(engine, "user", "anna", NOON)
    assert (today["tokens_today"], today["tokens_reserved"]) == (1_000, 0)
    set_limits(engine, "user", "anna", tokens_per_day=2_000)  # raised, not new: use stays
    assert usage(engine, "user", "anna", NOON)["tokens_today"] == 1_000


def test_a_per_member_limit_set_again_starts_each_member_at_zero(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    principal = authenticate(engine, key)
    used(engine, principal, 900)
    set_limits(engine, "member", "schule", tokens_per_day=None)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    assert member_usage(engine, "schule", "anna", NOON)["tokens_today"] == 0
    used(engine, principal, 1_000)  # the whole day fits again


def test_requests_per_minute_and_streams_set_again_count_from_then(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_limits(engine, "group", "schule", requests_per_minute=2, concurrent_streams=1)
    principal = authenticate(engine, key)
    reserve(engine, principal, 10, stream=True, now=NOON)  # a stream that is still open
    reserve(engine, principal, 10, stream=False, now=NOON)
    set_limits(engine, "group", "schule", requests_per_minute=None, concurrent_streams=None)
    set_limits(engine, "group", "schule", requests_per_minute=2, concurrent_streams=1)
    reserve(engine, principal, 10, stream=True, now=NOON)
    reserve(engine, principal, 10, stream=False, now=NOON)
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, principal, 10, stream=False, now=NOON)
    assert refused.value.limit == "requests_per_minute"


def test_what_quotas_set_says_after_a_lift_is_what_the_counter_does(store_url: str) -> None:
    key = anna_in_schule(store_url)
    engine = open_store(store_url)
    set_by_cli = ("quotas", "set", "--user", "anna")
    assert admin(store_url, *set_by_cli, "--requests-per-minute", "100").exit_code == 0
    assert admin(store_url, *set_by_cli, "--tokens-per-day", "1000").exit_code == 0
    used(engine, authenticate(engine, key), 700, now=utcnow())
    assert admin(store_url, *set_by_cli, "--lift", "tokens_per_day").exit_code == 0
    again = admin(store_url, *set_by_cli, "--tokens-per-day", "1000")
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "die Grenze für Tokens/Tag gilt ab jetzt" in said and "nicht angerechnet" in said, said
    [limits] = json.loads(admin(store_url, "quotas", "list", "--json").output)
    assert limits["tokens_per_day"] == 1000 and limits["tokens_today"] == 0
