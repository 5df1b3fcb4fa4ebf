"""A group's limit per member (`quotas set --group G --per-member …`): every member gets the
whole limit for themselves, reserved before and settled after, never more under concurrent
requests from several processes — on SQLite and on PostgreSQL — and a 429 says which limit."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    add_group,
    add_user,
    authenticate,
    create_key,
    remove_group,
    remove_user,
    utcnow,
)
from gemeingut.serve.gateway.quotas import (
    QuotaExceeded,
    list_limits,
    member_usage,
    reserve,
    set_limits,
    settle,
    usage,
)
from gemeingut.serve.gateway.store import open_store, writing
from gemeingut.serve.gateway.tables import usage_counters
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_quotas import NOON, reserve_many

runner = CliRunner()


def schule_with_anna_and_bob(url: str) -> tuple[str, str]:
    engine = open_store(url)
    add_group(engine, "schule")
    add_user(engine, "anna", ("schule",))
    add_user(engine, "bob", ("schule",))
    return create_key(engine, "anna")[1], create_key(engine, "bob")[1]


def test_each_member_gets_the_whole_limit_and_never_more_from_several_processes(
    store_url: str,
) -> None:
    anna, bob = schule_with_anna_and_bob(store_url)
    engine = open_store(store_url)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    spawn = multiprocessing.get_context("spawn")  # as separate server processes would be
    keys = [anna, bob, anna, bob]
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        granted = list(pool.map(reserve_many, [store_url] * 4, keys, [20] * 4, [70] * 4))
    assert granted[0] + granted[2] == 1_000 // 70  # anna: 14 of her own 1,000 tokens
    assert granted[1] + granted[3] == 1_000 // 70  # bob as many, not what anna left over
    for person in ("anna", "bob"):
        assert member_usage(engine, "schule", person, NOON)["tokens_reserved"] == 14 * 70
    assert usage(engine, "member", "schule", NOON)["tokens_reserved"] == 14 * 70  # the most


def test_requests_and_streams_per_member_hold_under_concurrent_threads(store_url: str) -> None:
    anna, bob = schule_with_anna_and_bob(store_url)
    set_limits(open_store(store_url), "member", "schule", requests_per_minute=3)
    assert reserve_many(store_url, anna, 12, 0) == 3
    assert reserve_many(store_url, bob, 12, 0) == 3
    set_limits(open_store(store_url), "member", "schule", requests_per_minute=None)
    set_limits(open_store(store_url), "member", "schule", concurrent_streams=2)
    assert reserve_many(store_url, anna, 12, 0, stream=True) == 2
    assert reserve_many(store_url, bob, 12, 0, stream=True) == 2


def test_settling_gives_a_member_back_what_was_not_used(store_url: str) -> None:
    anna, _ = schule_with_anna_and_bob(store_url)
    engine = open_store(store_url)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    principal = authenticate(engine, anna)
    held = reserve(engine, principal, 900, stream=False, now=NOON)
    with writing(engine) as conn:
        settle(conn, held, used_tokens=100)
    today = member_usage(engine, "schule", "anna", NOON)
    assert today["tokens_today"] == 100 and today["tokens_reserved"] == 0
    reserve(engine, principal, 900, stream=False, now=NOON)  # fits again: 100 + 900


def test_a_refusal_says_whether_the_members_own_limit_or_the_groups_total_is_full(
    store_url: str,
) -> None:
    anna, bob = schule_with_anna_and_bob(store_url)
    engine = open_store(store_url)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    set_limits(engine, "group", "schule", tokens_per_day=1_500)
    reserve(engine, authenticate(engine, anna), 900, stream=False, now=NOON)
    with pytest.raises(QuotaExceeded) as own:
        reserve(engine, authenticate(engine, anna), 200, stream=False, now=NOON)
    said = text(own.value.message)
    assert own.value.limit == "tokens_per_day"
    assert "Person anna als Mitglied der Gruppe schule (Grenze je Mitglied)" in said, said
    assert "900 von 1.000 Tokens" in said
    with pytest.raises(QuotaExceeded) as total:
        reserve(engine, authenticate(engine, bob), 700, stream=False, now=NOON)
    said = text(total.value.message)
    assert "Gruppe schule (eine Grenze für alle Mitglieder zusammen)" in said, said
    assert "900 von 1.500 Tokens" in said
    # the refused request took nothing from bob's own limit
    assert member_usage(engine, "schule", "bob", NOON)["tokens_reserved"] == 0


def test_a_removed_group_or_person_leaves_no_per_member_limit_or_counter(store_url: str) -> None:
    anna, _ = schule_with_anna_and_bob(store_url)
    engine = open_store(store_url)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    reserve(engine, authenticate(engine, anna), 400, stream=False, now=NOON)
    remove_user(engine, "anna", "p")
    with engine.connect() as conn:
        assert conn.execute(usage_counters.select()).first() is None
    remove_group(engine, "schule")
    add_group(engine, "schule")  # a new group of the same name inherits no limit
    assert list_limits(engine) == []


def admin(db: Path | str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", str(db)])


def test_an_operator_sets_and_lists_a_limit_per_member(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "groups", "add", "schule")
    admin(db, "users", "add", "anna", "--group", "schule")
    done = admin(
        db, "quotas", "set", "--group", "schule", "--per-member", "--tokens-per-day", "5000"
    )
    assert done.exit_code == 0, done.output
    assert "Grenzen von Gruppe schule (je Mitglied) gesetzt" in done.output
    [row] = json.loads(admin(db, "quotas", "list", "--json").output)
    assert row["subject_kind"] == "member" and row["subject"] == "schule"
    assert row["tokens_per_day"] == 5_000
    assert "Gruppe, je Mitglied" in admin(db, "quotas", "list").output
    [record] = [r for r in export(open_store(str(db))) if r["route"] == "admin:quotas-set"]
    assert record["decision"].startswith("member:tpd=5000,g-")  # the group by pseudonym
    wrong = admin(db, "quotas", "set", "--user", "anna", "--per-member", "--tokens-per-day", "5")
    assert wrong.exit_code == 2 and "--per-member gehört nur zu --group" in wrong.output
    assert "Traceback" not in wrong.output
    missing = admin(db, "quotas", "set", "--group", "hort", "--per-member", "--tokens-per-day", "5")
    assert missing.exit_code == 2 and "keine Gruppe „hort“" in missing.output


Serve = Callable[[FastAPI], AbstractContextManager[str]]


@pytest.fixture
def schule(store_url: str, backend: TransformersBackend, serve: Serve) -> Iterator[tuple]:
    anna, bob = schule_with_anna_and_bob(store_url)
    gateway = Gateway(open_store(store_url))
    with serve(create_app(backend, gateway=gateway)) as url:
        yield url, gateway, anna, bob


def test_concurrent_requests_over_http_stay_within_each_members_tokens(schule: tuple) -> None:
    url, gateway, anna, bob = schule
    set_limits(gateway.engine, "member", "schule", tokens_per_day=300)

    def one(key: str) -> tuple[int, int, str]:
        response = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={
                "model": MODEL_NAME,
                "messages": [{"role": "user", "content": "Hallo"}],
                "max_tokens": 8,
            },
            timeout=60,
        )
        if response.status_code == 429:
            return 0, 429, response.json()["error"]["message"]
        assert response.status_code == 200, response.text
        return response.json()["usage"]["total_tokens"], 200, ""

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, [anna, bob] * 16))
    for name, mine in (("anna", answers[0::2]), ("bob", answers[1::2])):
        today = member_usage(gateway.engine, "schule", name, utcnow())
        assert today["tokens_today"] == sum(t for t, _s, _m in mine) <= 300
        assert today["tokens_reserved"] == 0
        statuses = [s for _t, s, _m in mine]
        assert 200 in statuses and 429 in statuses
        refusal = next(m for _t, s, m in mine if s == 429)
        assert f"Person {name} als Mitglied der Gruppe schule" in refusal
