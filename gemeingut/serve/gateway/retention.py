"""Retention, enforced by the server itself: audit records (and, where the deployment logs it,
content) older than the deployment's period are deleted, and quota counters of past windows are
forgotten, once an hour."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.serve.gateway.audit_log import purge
from gemeingut.serve.gateway.content_log import purge_content
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import prune_counters

TIDY_EVERY_SECONDS = 3600
log = logging.getLogger("gemeingut.serve")


def tidy_once(
    engine: Engine, retention_days: int | None, now: datetime, content_days: int | None = None
) -> tuple[int, int]:
    """(audit records deleted, counter rows forgotten) at `now`; logged content older than
    `content_days` goes too, all of it when content is not logged (any more)."""
    purged = purge(engine, now - timedelta(days=retention_days)) if retention_days else 0
    # Content logging switched off: what an earlier start kept has no documented purpose left.
    purge_content(engine, now - timedelta(days=content_days) if content_days else now)
    return purged, prune_counters(engine, now)


def keep_tidy(
    engine: Engine, retention_days: int | None, content_days: int | None = None
) -> threading.Event:
    """Tidy now and then every hour in a daemon thread; set the returned event to stop."""
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                purged, pruned = tidy_once(engine, retention_days, utcnow(), content_days)
                log.info("retention: %d audit records deleted, %d counters pruned", purged, pruned)
            except SQLAlchemyError:  # the database is away for a moment: try again later
                log.exception("retention could not run")
            if stop.wait(TIDY_EVERY_SECONDS):
                return

    threading.Thread(target=run, name="gemeingut-retention", daemon=True).start()
    return stop
