"""A PostgreSQL URL's password is never shown: libpq takes it in the user part and in the query
(`?password=…`), and the server's start line and the database's error messages name the URL."""

from __future__ import annotations

import socket

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.store import open_store, shown_database


def test_the_start_line_names_no_password_of_the_query() -> None:
    shown = shown_database("postgresql://svc@db.internal/gg?sslmode=require&password=s3cret")
    assert "s3cret" not in shown
    assert shown.startswith("postgresql") and "db.internal/gg" in shown
    assert "sslmode=require" in shown  # what is no secret stays


def test_the_start_line_names_no_password_of_the_user_part() -> None:
    shown = shown_database("postgresql://svc:s3cret@db.internal:5433/gg")
    assert "s3cret" not in shown and "svc" in shown and "db.internal:5433/gg" in shown


def test_a_database_that_cannot_be_reached_is_said_without_its_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://svc@127.0.0.1:{port}/gg?password=s3cret&connect_timeout=2"
    with pytest.raises(InputError) as caught:
        open_store(url)
    said = text(caught.value.args[0])
    assert "s3cret" not in said and f"127.0.0.1:{port}" in said


def test_a_port_that_is_no_number_is_said_without_a_traceback_or_the_password() -> None:
    with pytest.raises(InputError) as caught:
        open_store("postgresql://svc:s3cret@db.internal:54x2/gg")
    said = text(caught.value.args[0])
    assert "s3cret" not in said and "54x2" in said
