"""A database server that does not answer (restarted, failed over) is one outage in the
server log: one line saying what and since when, without a traceback or the SQL that met it,
however many requests fail during it; the next outage gets its own line."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import gemeingut.serve.database_failures as failures
from gemeingut.i18n import _
from gemeingut.serve.database_failures import log_database_failure

log = logging.getLogger("gemeingut.serve")


def _unreachable(tmp_path: Path) -> OperationalError:
    """What psycopg raises for a PostgreSQL that is not there (a socket folder without one)."""
    engine = create_engine(f"postgresql+psycopg://u@/db?host={tmp_path}&connect_timeout=2")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT secret_sha256 FROM api_keys"))
    except OperationalError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("a database answered")


def test_an_outage_is_one_line_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "_outage_seen", None)
    monkeypatch.setenv("GEMEINGUT_LANG", "de")
    error = _unreachable(tmp_path)
    caplog.set_level(logging.ERROR, logger="gemeingut.serve")
    for number in range(5):
        log_database_failure(
            log, _("the quota of request {id} could not be reserved", id=str(number)), error
        )
    assert len(caplog.records) == 1, caplog.text
    line = caplog.records[0]
    assert line.exc_info is None and "Traceback" not in caplog.text
    assert "die Datenbank antwortet nicht seit" in line.getMessage(), line.getMessage()
    assert "Kontingent der Anfrage 0" in line.getMessage()
    assert "SELECT" not in caplog.text and "[SQL" not in caplog.text
    monkeypatch.setattr(failures, "_outage_seen", time.monotonic() - failures.OUTAGE_GAP_S - 1)
    log_database_failure(log, _("the quota of request {id} could not be reserved", id="9"), error)
    assert len(caplog.records) == 2  # a later outage: its own line


def test_a_deadlock_is_no_outage() -> None:
    """PostgreSQL's faults of one statement (a deadlock, a statement timeout) are operational
    errors too, but the database answers: they keep their traceback, and no outage is said."""
    import psycopg.errors

    from gemeingut.serve.database_failures import unreachable

    for fault in (psycopg.errors.DeadlockDetected, psycopg.errors.QueryCanceled):
        assert not unreachable(OperationalError("UPDATE usage_counters", {}, fault("x")))
    assert unreachable(OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("x")))
