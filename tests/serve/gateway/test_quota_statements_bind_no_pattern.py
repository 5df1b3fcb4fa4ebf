"""A stream's quota statements hold their LIKE patterns in their SQL (`quotas._LIVE_PLACES`).

SQLite prepares a statement anew each time a LIKE's bound pattern is bound again (the pattern
might let an index answer it): the statement that takes a stream place was compiled anew for
every stream. The places still count as before (`test_quotas.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import event

from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from gemeingut.serve.gateway.store import open_store

BOUND_PATTERN = re.compile(r"LIKE\s+(\?|%\(|:)", re.IGNORECASE)


def test_a_stream_binds_no_like_pattern(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "g.db"))
    add_user(engine, "anna")
    principal = authenticate(engine, create_key(engine, "anna")[1])
    set_limits(engine, "user", "anna", concurrent_streams=2)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    reserve(engine, principal, 10, stream=True, now=utcnow())
    assert any("LIKE" in statement for statement in statements)
    assert not [statement for statement in statements if BOUND_PATTERN.search(statement)]
    assert usage(engine, "user", "anna", utcnow())["open_streams"] == 1
    engine.dispose()
