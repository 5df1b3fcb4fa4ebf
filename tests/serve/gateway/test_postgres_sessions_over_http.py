"""A governed server on PostgreSQL, over real HTTP with the `openai` client, whose database
sessions the server ends (as it ends them all when it stops or restarts): the gateway's
threads hold their connections between requests (`store.connections_held`), and still the
next request is answered, not failed by a connection that is gone. A session ended while a
request reserves its quota fails that request alone, with a 503 and `Retry-After`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import openai
import pytest
from sqlalchemy import Engine, create_engine, event, text

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from tests.serve.gateway.test_gateway_http import chat

pytestmark = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)


@pytest.fixture
def admin(governed: tuple[str, Gateway]) -> Iterator[Engine]:
    """A session of its own on the gateway's database, which ends the gateway's."""
    engine = create_engine(governed[1].engine.url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def end_sessions(admin: Engine, pid: int | None = None) -> int:
    """End the session `pid` (None: every other session of the database) and wait until it
    is gone; how many were ended."""
    which = "pid <> pg_backend_pid()" if pid is None else "pid = :pid"
    sessions = f"FROM pg_stat_activity WHERE datname = current_database() AND {which}"
    with admin.connect() as conn:
        ended = conn.execute(text(f"SELECT pg_terminate_backend(pid) {sessions}"), {"pid": pid})
        count = len(ended.all())
        deadline = time.monotonic() + 30
        while conn.execute(text(f"SELECT count(*) {sessions}"), {"pid": pid}).scalar_one():
            assert time.monotonic() < deadline, "the sessions did not end"
            time.sleep(0.02)
    return count


def test_requests_after_the_server_ended_every_session_are_answered(
    governed: tuple[str, Gateway], admin: Engine
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    for _ in range(3):
        chat(url, key)
        assert gateway.engine.pool.checkedout()  # held by the gateway's threads meanwhile
        assert end_sessions(admin) >= 1
    assert chat(url, key).choices[0].message.content is not None
    assert [r["status"] for r in export(gateway.engine)] == [200] * 4


def test_a_session_ended_while_a_request_reserves_is_a_503_and_the_next_is_answered(
    governed: tuple[str, Gateway], admin: Engine
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    chat(url, key)
    armed = [True]

    def end_own_session(conn, _cursor, statement, *_args) -> None:
        writes = threading.current_thread().name == "gemeingut-database"
        if armed[0] and writes and "quota_limits" in statement:
            armed[0] = False
            end_sessions(admin, conn.connection.driver_connection.info.backend_pid)

    event.listen(gateway.engine, "before_cursor_execute", end_own_session)
    with pytest.raises(openai.InternalServerError) as failed:
        chat(url, key)
    assert not armed[0]
    assert failed.value.status_code == 503 and int(failed.value.response.headers["retry-after"])
    assert failed.value.body["code"] == "database_unavailable"
    assert chat(url, key).choices[0].message.content is not None
    assert [r["status"] for r in export(gateway.engine)] == [200, 503, 200]
