"""A server whose database fails at its start (`leases.register_now`, from the app's lifespan)
still starts: the log says why, in the server's language and the driver's own words, and the
process registers with its first admitted request (`gate.Gateway.owner`) instead."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from gemeingut.serve.gateway.leases import Leases, register_now


def test_a_database_failing_at_the_start_is_logged_and_left_to_the_first_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    away = create_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'gateway.db'}")
    leases = Leases(away)
    try:
        with caplog.at_level(logging.WARNING, logger="gemeingut.serve"):
            register_now(leases)  # no exception: the server goes on starting
    finally:
        away.dispose()
    assert not leases.started  # its first request tries again
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "konnte sich nicht in der Datenbank anmelden" in s and "unable to open database file" in s
        for s in said
    ), said
