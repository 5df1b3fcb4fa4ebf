"""An audit record written straight into the log: the record's tests need requests answered at
set times (an outage's end, its 503s) that a real server cannot be made to answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert

from gemeingut.serve.gateway.store import writing
from gemeingut.serve.gateway.tables import audit_log


def answered(
    engine: Engine,
    at: datetime,
    status: int,
    model: str = "m",
    decision: str | None = None,
    server: str | None = None,
) -> None:
    """A request for `model` answered `status` at `at` by the process `server` (None: as an
    earlier version wrote it, naming none); its decision, unless given, that of an answer
    (200) or a full queue (any other status)."""
    with writing(engine) as conn:
        conn.execute(
            insert(audit_log).values(
                at=at,
                request_id=f"r{at.timestamp()}{model}",
                route="/v1/chat/completions",
                model=model,
                status=status,
                decision=decision or ("allowed" if status == 200 else "queue_full"),
                server=server,
            )
        )
