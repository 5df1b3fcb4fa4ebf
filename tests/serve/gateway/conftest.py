"""The gateway's database, twice: a SQLite file and a throwaway PostgreSQL cluster; tests that
take `store_url` run on both."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user
from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.store import open_store
from tests.postgres import postgres_bin, throwaway_cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt install postgresql)")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def fresh_minute() -> None:
    """Start a test that counts requests per minute in real time early in a minute: the limit is
    per calendar minute, so requests that straddle its end would be counted in two windows."""
    seconds_left = 60 - datetime.now(UTC).second
    if seconds_left < 15:
        time.sleep(seconds_left + 0.1)


@pytest.fixture
def key_of(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """The database and where its key file lies (PostgreSQL's named for every process)."""
    if "://" in store_url:
        key = tmp_path / "pseudonym-key"
        monkeypatch.setenv(KEY_FILE_ENV, str(key))
    else:
        monkeypatch.delenv(KEY_FILE_ENV, raising=False)
        key = Path(store_url + SUFFIX)
    open_store(store_url).dispose()
    return store_url, key


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test (PostgreSQL: a new schema-less database)."""
    if request.param == "sqlite":
        return str(tmp_path / "gateway.db")
    base = request.getfixturevalue("postgres_url")
    return fresh_database(base, f"t{abs(hash(request.node.nodeid)) % 10**9}")


def fresh_database(base_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    path, query = base_url.split("?", 1)
    return f"{path.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.fixture
def governed(
    store_url: str,
    backend: TransformersBackend,
    serve: Callable[[FastAPI], AbstractContextManager[str]],
) -> Iterator[tuple[str, Gateway]]:
    """A governed server over real HTTP: the group schule, its member anna (no key yet)."""
    engine = open_store(store_url)
    add_group(engine, "schule")
    add_user(engine, "anna", ("schule",))
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway)) as url:
        yield url, gateway
    gateway.close()  # as the app's shutdown would: its heartbeat stops (`leases.py`)
