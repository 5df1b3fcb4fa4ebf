"""A statement that fails must not carry its values into an error message or the server log:
they are logged prompts and answers, user names, key hashes (the log keeps no retention)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import metadata

SECRET = "Antrag von Erika Mustermann, erika@example.org"


def test_a_failed_statement_shows_no_values(store_url: str) -> None:
    engine = open_store(store_url)
    settings = metadata.tables["settings"]
    with engine.begin() as conn:
        conn.execute(insert(settings).values(name="twice", value=SECRET))
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(insert(settings).values(name="twice", value=SECRET))
    assert SECRET not in str(caught.value)
    assert "hidden" in str(caught.value)
