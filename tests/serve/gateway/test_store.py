"""The gateway's database: migrations that agree with `tables.py`, an old database upgraded with
its data, and a mistyped path that is not made into an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from gemeingut.errors import InputError
from gemeingut.serve.gateway.quotas import list_limits, set_limits
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import metadata


def test_the_migrated_schema_is_the_one_tables_py_describes(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_database_of_the_last_release_is_upgraded_with_its_limits(store_url: str) -> None:
    """A database at revision 0002 (tokens_per_day a 32-bit integer on PostgreSQL) keeps its
    limits and then takes 3 billion tokens a day."""
    engine = create_engine(database_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(
            text(
                "INSERT INTO quota_limits (subject_kind, subject, tokens_per_day) "
                "VALUES ('group', 'schule', 200000)"
            )
        )
        conn.execute(text("INSERT INTO groups (name, created_at) VALUES ('schule', '2026-01-01')"))
    engine.dispose()
    upgraded = open_store(store_url)
    [limits] = list_limits(upgraded)
    assert limits["tokens_per_day"] == 200_000
    set_limits(upgraded, "group", "schule", tokens_per_day=3_000_000_000)
    assert list_limits(upgraded)[0]["tokens_per_day"] == 3_000_000_000


def test_a_missing_database_file_is_refused_unless_asked_to_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "tippfehler" / "gateway.db"
    with pytest.raises(InputError, match=r"die Gateway-Datenbank .*gateway\.db gibt es nicht"):
        open_store(str(missing), create=False)
    assert not missing.parent.exists()  # no folder, no empty database
    with pytest.raises(InputError, match=r"den Ordner .*tippfehler der Gateway-Datenbank"):
        open_store(str(missing))  # nor a new folder where one was mistyped
    assert not missing.parent.exists()
    missing.parent.mkdir()
    open_store(str(missing))  # a server's or `admin groups add`'s first start
    assert missing.is_file()
    open_store(str(missing), create=False)
