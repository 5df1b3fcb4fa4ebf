"""`admin users remove` while a request's content is being kept on PostgreSQL: the keep has
found the person (its statement share-locks their row) and commits only after the removal
has begun. The removal waits for it and then erases that content too. Before, the removal
deleted the person's content first and waited only at the person's own row, so the content
committed in between stayed behind under the pseudonym of a person erased. SQLite needs no
test of this: there a removal and a keep never overlap (one write transaction at a time).
A real PostgreSQL cluster, two real connections."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text, update

from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.serve.gateway.content_log import stored_requests
from gemeingut.serve.gateway.identity import (
    add_user,
    authenticate,
    create_key,
    remove_user,
    utcnow,
)
from gemeingut.serve.gateway.quotas import reserve, set_limits
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import api_keys, content_log, usage_counters, users
from tests.serve.gateway.conftest import fresh_database


def test_content_kept_while_the_removal_runs_is_erased_with_the_person(postgres_url: str) -> None:
    engine = open_store(fresh_database(postgres_url, "removed_while_kept"))
    add_user(engine, "anna")
    pseudonym = person_pseudonym(engine, "anna")
    with engine.connect() as keeping, ThreadPoolExecutor(1) as pool:
        keeping.begin()
        # what `content_log.keep`'s one statement does: find the person, share-locked …
        found = select(users.c.id).where(users.c.name == "anna").with_for_update(read=True)
        assert keeping.execute(found).scalar() is not None
        # … and insert their content, not yet committed
        keeping.execute(
            content_log.insert().values(
                at=datetime.now(UTC).replace(tzinfo=None),
                request_id="r1",
                user_pseudonym=pseudonym,
                route="/v1/chat/completions",
                model="amt-modell",
                prompt="Hallo",
                answer="Guten Tag",
            )
        )
        removal = pool.submit(remove_user, engine, "anna", pseudonym)
        _until_waiting_for_a_lock(engine, removal)
        keeping.commit()
        assert removal.result() == {"keys": 0, "content": 1}
    assert stored_requests(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 0


def _until_waiting_for_a_lock(engine: Engine, removal: Future) -> None:
    """Return once a connection of this database waits for a row lock (the removal's), or the
    removal has ended without waiting."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        while not removal.done() and not conn.execute(waiting).scalar():
            conn.rollback()  # a fresh snapshot of the activity for the next look
            time.sleep(0.01)


def test_a_removal_while_a_keys_request_is_reserved_waits_for_it(postgres_url: str) -> None:
    """A reservation locks the key (its limits of its own) and then takes from the key's
    counters; the removal now locks the person's keys before it deletes their counters, the
    same order, so it waits for the reservation instead of deadlocking with it (PostgreSQL
    then aborted one of them: a 5xx, or the removal undone with a traceback)."""
    engine = open_store(fresh_database(postgres_url, "removed_while_reserved"))
    add_user(engine, "anna")
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "key", key_id, requests_per_minute=100)
    reserve(engine, authenticate(engine, key), 0, stream=False, now=utcnow())  # its counters
    pseudonym = person_pseudonym(engine, "anna")
    with engine.connect() as reserving, ThreadPoolExecutor(1) as pool:
        reserving.begin()
        # what `quotas.reserve` does: the key held first (`_HOLD_KEY`) …
        held = (
            update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=api_keys.c.revoked_at)
        )
        reserving.execute(held)
        removal = pool.submit(remove_user, engine, "anna", pseudonym)
        _until_waiting_for_a_lock(engine, removal)
        # … then a take from the key's counter
        counters = usage_counters.c
        take = (
            update(usage_counters)
            .where(counters.subject_kind == "key", counters.subject == key_id)
            .values(used=counters.used + 1)
        )
        reserving.execute(take)
        reserving.commit()
        assert removal.result() == {"keys": 1, "content": 0}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(usage_counters)).scalar() == 0
