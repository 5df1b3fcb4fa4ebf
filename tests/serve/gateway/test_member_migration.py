"""Revision 0007 (per-member limits) downgrades to 0006 on both databases: the per-member rows,
which 0006 cannot read and whose counter names do not fit its 200 characters, go with it."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import MIGRATIONS, database_url, open_store
from gemeingut.serve.gateway.tables import member_counter, usage_counters


def test_0007_downgrades_with_a_long_member_counter(store_url: str) -> None:
    engine = open_store(store_url)
    group = "g" * 200
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO groups (name, created_at) VALUES (:g, '2026-01-01')"), {"g": group}
        )
    set_limits(engine, "member", group, tokens_per_day=10)
    set_limits(engine, "group", group, tokens_per_day=20)
    with engine.begin() as conn:
        conn.execute(
            usage_counters.insert().values(
                subject_kind="member",
                subject=member_counter(group, "u" * 200),  # 401 characters
                window="day:2026-01-01",
                used=1,
                reserved=0,
            )
        )
    engine.dispose()
    engine = create_engine(database_url(store_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT subject_kind FROM quota_limits")).scalars().all()
        counters = conn.execute(text("SELECT count(*) FROM usage_counters")).scalar()
        [subject] = [
            c for c in inspect(conn).get_columns("usage_counters") if c["name"] == "subject"
        ]
    assert kinds == ["group"]  # the group's total stays, its limit per member goes
    assert counters == 0
    assert subject["type"].length == 200
