"""Safeguards of the gateway's records and keys: a pseudonym that never passes to a new person,
rotations that cannot double or revive an expired key, the request slot of a failed request,
both decisions of a redacted request that met a full queue, and a quiet readiness probe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Admission, Gateway, database_answers
from gemeingut.serve.gateway.identity import (
    add_user,
    authenticate,
    create_key,
    list_keys,
    rotate_key,
    user_pseudonym_source,
    utcnow,
)
from gemeingut.serve.gateway.quotas import QuotaExceeded, reserve, set_limits
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store, reading

runner = CliRunner()


def admin(db: str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", db])


def test_a_new_person_never_gets_the_pseudonym_of_a_removed_one(store_url: str) -> None:
    engine = open_store(store_url)
    bert_id = add_user(engine, "bert")
    _, key = create_key(engine, "bert")
    Gateway(engine).record("/v1/completions", 200, "allowed", authenticate(engine, key))
    assert admin(store_url, "users", "remove", "bert", "--yes").exit_code == 0
    carla_id = add_user(engine, "carla")
    if engine.dialect.name == "sqlite":
        assert carla_id == bert_id  # SQLite hands the freed id on
    exported = admin(store_url, "audit", "export", "--user", "carla")
    assert exported.exit_code == 0 and exported.stdout.strip() == ""  # Bert's record stays his


def test_a_person_from_before_salts_keeps_the_pseudonym_of_their_records(store_url: str) -> None:
    engine = create_engine(database_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(
            text(
                "INSERT INTO users (name, created_at, disabled) "
                "VALUES ('anna', '2026-01-01', false)"
            )
        )
    engine.dispose()
    assert user_pseudonym_source(open_store(store_url), "anna") == "1"


def test_an_expired_key_is_not_rotated_into_another_expired_key(tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.db")
    engine = open_store(db)
    add_user(engine, "anna")
    old, _ = create_key(engine, "anna", expires_at=utcnow() - timedelta(days=1))
    rotated = admin(db, "keys", "rotate", old)
    assert rotated.exit_code != 0 and "keys create --expires" in rotated.output, rotated.output
    assert [(k["id"], k["revoked_at"]) for k in list_keys(engine)] == [(old, None)]


def test_two_rotations_of_one_key_at_once_make_one_new_key(store_url: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    old, _ = create_key(engine, "anna")
    both_read = threading.Barrier(2, timeout=1)

    @event.listens_for(engine, "before_cursor_execute")
    def _meet_before_inserting(_conn, _cursor, statement, *_rest) -> None:
        if statement.startswith("INSERT INTO api_keys"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()  # without a lock both rotations got here

    outcomes: list[str] = []

    def rotate() -> None:
        try:
            outcomes.append(rotate_key(engine, old)[0])
        except InputError:
            outcomes.append("refused")

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "refused" and len(list_keys(engine)) == 2


def test_export_of_an_unknown_key_is_an_error_and_filters_in_the_database(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "gateway.db")
    engine = open_store(db)
    add_user(engine, "anna")
    add_user(engine, "ben")
    key_id, key = create_key(engine, "anna")
    _, other = create_key(engine, "ben")
    gateway = Gateway(engine)
    gateway.record("/v1/completions", 200, "allowed", authenticate(engine, key))
    gateway.record("/v1/completions", 200, "allowed", authenticate(engine, other))
    unknown = admin(db, "audit", "export", "--key", "0123456789ab")
    assert unknown.exit_code != 0 and "0123456789ab" in unknown.output
    [record] = export(engine, key_id=key_id)
    person = gateway.audit.pseudonym(user_pseudonym_source(engine, "anna"))
    assert record["user_pseudonym"] == person
    assert [r["key_id"] for r in export(engine, pseudonym=person)] == [key_id]
    [line] = admin(db, "audit", "export", "--key", key_id).stdout.splitlines()
    assert json.loads(line)["key_id"].startswith("k-")


def test_groups_remove_takes_the_short_yes(tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.db")
    admin(db, "groups", "add", "schule")
    admin(db, "users", "add", "anna", "--group", "schule")
    assert admin(db, "groups", "remove", "schule", "-y").exit_code == 0


def admitted(store_url: str, decision: str = "allowed") -> tuple[Admission, Gateway]:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=1)
    principal = authenticate(engine, key)
    gateway = Gateway(engine)
    reservation = reserve(engine, principal, 0, False, utcnow())
    return Admission(
        gateway, principal, "/v1/completions", "demo", reservation, "r1", decision
    ), gateway


@pytest.mark.usefixtures("fresh_minute")
def test_a_request_that_made_the_engine_fail_keeps_its_request_slot(store_url: str) -> None:
    admission, gateway = admitted(store_url)
    asyncio.run(admission.settle(502, 0, 0))
    with pytest.raises(QuotaExceeded):
        reserve(gateway.engine, admission.principal, 0, False, utcnow())


@pytest.mark.usefixtures("fresh_minute")
def test_a_redacted_request_that_met_a_full_queue_keeps_both_decisions(store_url: str) -> None:
    admission, gateway = admitted(store_url, decision="redacted:" + "x" * 90)
    asyncio.run(admission.settle(503, 0, 0, decision="queue_full"))
    [record] = export(gateway.engine)
    assert record["decision"].startswith("redacted:x") and record["decision"].endswith(
        ";queue_full"
    )
    assert len(record["decision"]) <= 80
    reserve(gateway.engine, admission.principal, 0, False, utcnow())  # its slot came back


def test_a_failing_readiness_probe_logs_one_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "later"
    engine = create_engine(f"sqlite:///{folder / 'gateway.db'}")
    with caplog.at_level(logging.INFO, logger="gemeingut.serve"):
        assert not any(database_answers(engine) for _ in range(3))
        folder.mkdir()
        assert database_answers(engine)
    assert [r.exc_info is not None for r in caplog.records] == [True, False, False, False]
    assert "antwortet wieder" in caplog.records[-1].getMessage()  # the operator's language


def test_an_invalidated_connection_goes_back_to_the_pool_quietly(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    with reading(engine) as conn:
        unread = conn.exec_driver_sql("SELECT 1 UNION SELECT 2")  # its cursor stays open
        conn.invalidate()  # closes the DBAPI connection; the pool checks the record in
    assert unread is not None
    with reading(engine) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
