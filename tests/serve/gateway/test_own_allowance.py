"""`GET /v1/me` over real HTTP: a key's holder reads the limits that apply to them and what is
used of each today, as the quotas count it (the same counters the reservations take from),
and nothing about anyone else; a server without a database says that nothing is counted."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import openai
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import member_usage, reserve, set_limits, usage
from tests.serve.conftest import MODEL_NAME


def _me(url: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{url}/v1/me", headers=headers)


def _used(url: str, key: str) -> int:
    """The tokens one real chat completion of `key` used, as its response says."""
    answer = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0).chat.completions
    said = answer.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=4
    )
    return said.usage.total_tokens


def test_the_own_allowance_needs_a_valid_key(governed: tuple[str, Gateway]) -> None:
    url, _gateway = governed
    missing = _me(url, None)
    assert missing.status_code == 401, missing.text
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert _me(url, "gg_000000000000_wrong").status_code == 401


def test_a_key_without_limits_is_told_that_none_apply(governed: tuple[str, Gateway]) -> None:
    url, gateway = governed
    key_id, key = create_key(gateway.engine, "anna", models=(MODEL_NAME,))
    mine = _me(url, key).json()
    assert mine["counted"] is True and mine["limits"] == []
    assert (mine["user"], mine["groups"]) == ("anna", ["schule"])
    assert mine["key"] == {"id": key_id, "expires_at": None, "models": [MODEL_NAME]}
    assert mine["day_ends_at"].endswith("T00:00:00Z")


def test_each_limit_that_applies_with_todays_use_and_nobody_elses(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    engine = gateway.engine
    add_user(engine, "ben", ("schule",))
    add_group(engine, "andere")
    add_user(engine, "cora", ("andere",))
    anna_id, anna = create_key(engine, "anna")
    ben = create_key(engine, "ben")[1]
    set_limits(engine, "group", "schule", tokens_per_day=10_000, requests_per_minute=100)
    set_limits(engine, "member", "schule", tokens_per_day=1_000)
    set_limits(engine, "user", "anna", concurrent_streams=2)
    set_limits(engine, "key", anna_id, tokens_per_day=5_000)
    set_limits(engine, "user", "ben", tokens_per_day=777)  # another person's: not shown
    set_limits(engine, "group", "andere", tokens_per_day=888)  # another group's: not shown
    anna_used, ben_used = _used(url, anna), _used(url, ben)
    # answers still being written: ben's hold more than anna's, so that the most of any
    # member (what `admin quotas list` shows) is not what anna is shown
    reserve(engine, authenticate(engine, anna), 50, stream=False, now=utcnow())
    reserve(engine, authenticate(engine, ben), 300, stream=False, now=utcnow())

    answer = _me(url, anna)
    assert answer.status_code == 200, answer.text
    limits = {(limit["whose"], limit["group"]): limit for limit in answer.json()["limits"]}
    assert set(limits) == {("key", None), ("user", None), ("group", "schule"), ("member", "schule")}
    now = utcnow()
    group, member = limits["group", "schule"], limits["member", "schule"]
    assert (group["tokens_per_day"], group["requests_per_minute"]) == (10_000, 100)
    assert group["tokens_today"] == anna_used + ben_used
    assert group["tokens_today"] == usage(engine, "group", "schule", now)["tokens_today"]
    assert group["tokens_reserved"] == 350  # the group's total: what all its members draw from
    assert member["tokens_per_day"] == 1_000
    assert (member["tokens_today"], member["tokens_reserved"]) == (anna_used, 50)
    assert member_usage(engine, "schule", "anna", now)["tokens_reserved"] == 50
    assert usage(engine, "member", "schule", now)["tokens_reserved"] == 300  # ben's, not shown
    key = limits["key", None]
    assert (key["tokens_per_day"], key["tokens_today"], key["tokens_reserved"]) == (
        5_000,
        anna_used,
        50,
    )
    user = limits["user", None]
    assert (user["concurrent_streams"], user["tokens_per_day"], user["open_streams"]) == (
        2,
        None,
        0,
    )
    for other in ("ben", "cora", "andere"):  # letters no hex key id holds
        assert other not in answer.text


def test_without_a_database_nothing_is_counted(
    backend: TransformersBackend, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> None:
    with serve(create_app(backend)) as url:
        mine = _me(url, None).json()
    assert (mine["counted"], mine["limits"], mine["key"], mine["user"]) == (False, [], None, None)
