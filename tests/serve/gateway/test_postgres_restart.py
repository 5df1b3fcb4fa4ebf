"""A real restart of the PostgreSQL server under a governed server whose database threads hold
their connections between requests (`store.connections_held`): the requests after it are
answered, each on a fresh connection, none a 503 (`pg_ctl restart`, fast and immediate)."""

from __future__ import annotations

import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from tests.postgres import restart, throwaway_cluster
from tests.serve.gateway.test_gateway_http import chat


@pytest.fixture(scope="module")
def own_cluster() -> str:
    """A cluster of its own: the others' tests keep theirs running."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def postgres_url(own_cluster: str) -> str:
    return own_cluster


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_requests_after_a_restart_of_the_server_are_answered(
    governed: tuple[str, Gateway], own_cluster: str, mode: str
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    chat(url, key)
    assert gateway.engine.pool.checkedout()  # held by the gateway's threads meanwhile
    restart(own_cluster, mode)
    assert chat(url, key).choices[0].message.content is not None
    assert [r["status"] for r in export(gateway.engine)] == [200, 200]
