"""The audit log a data-protection officer can sign off: metadata only, pseudonymised, complete.

A record holds when, which route and model, a pseudonym of the user (an HMAC with a secret kept
in the database, so the log alone cannot name anyone), the key id, the status, the decision
(allowed, or which check refused) and token counts. No prompt, no answer, no IP address.
A record is committed before its response leaves the server, so no request that got an answer
is missing from the log, even after `kill -9`; a stream's record is written when the stream
starts, with the decision `unfinished`, and completed when it ends: a stream whose server died
mid-answer keeps `unfinished` (and no duration), never passing for an answer given whole.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, delete, select, update

from gemeingut.serve.gateway.store import pseudonym_secret, writing
from gemeingut.serve.gateway.tables import audit_log

# The longest text each column holds: a record never fails (a 500 on PostgreSQL) or grows
# (SQLite keeps any length) because of a value longer than its column.
CHARS = {c.name: c.type.length for c in audit_log.columns if getattr(c.type, "length", None)}
EXPORT_COLUMNS = tuple(c.name for c in audit_log.columns if c.name != "id")
# Column names that would hold what people wrote or where they connected from; /v1/policy
# checks the table against them instead of promising.
CONTENT_COLUMNS = frozenset({"prompt", "messages", "content", "answer", "completion_text"})
ADDRESS_COLUMNS = frozenset({"ip", "ip_address", "client_address", "remote_addr", "host"})
# A stream's decision until it ends, after the decision made before it (`redacted:RULE;…`).
UNFINISHED = "unfinished"


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._secret = pseudonym_secret(engine)

    def pseudonym(self, source: str) -> str:
        """Stable per user and deployment; not reversible without the deployment's secret.
        `source`: `identity.pseudonym_source` of the user (never their reusable id alone)."""
        return hmac.new(self._secret, source.encode(), hashlib.sha256).hexdigest()[:16]

    def write(self, conn: Connection | None = None, **record: object) -> None:
        """Commit one record; with `conn`, as part of the caller's write transaction."""
        for name, most in CHARS.items():  # a long collection name makes a long path
            value = record.get(name)
            if isinstance(value, str) and len(value) > most:
                record[name] = value[:most]
        if conn is not None:
            conn.execute(audit_log.insert().values(**record))
            return
        with writing(self.engine) as conn:
            conn.execute(audit_log.insert().values(**record))

    @staticmethod
    def complete(conn: Connection, request_id: str, **fields: object) -> None:
        """Fill in a stream's record, in the caller's write transaction."""
        conn.execute(update(audit_log).where(audit_log.c.request_id == request_id).values(**fields))


def unfinished() -> ColumnElement[bool]:
    """Records of streams that have not ended: still running, or cut off with their server."""
    decision = audit_log.c.decision
    return (decision == UNFINISHED) | decision.endswith(";" + UNFINISHED)


def export(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    pseudonym: str | None = None,
    key_id: str | None = None,
) -> Iterator[dict[str, object]]:
    """Records in time order, for the records of processing activities (DSGVO Art. 30); of
    one person (their `pseudonym`) or one key if asked."""
    query = select(*(audit_log.c[name] for name in EXPORT_COLUMNS)).order_by(
        audit_log.c.at,
        audit_log.c.id,  # ids of several processes need not follow the clock
    )
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if pseudonym is not None:
        query = query.where(audit_log.c.user_pseudonym == pseudonym)
    if key_id is not None:
        query = query.where(audit_log.c.key_id == key_id)
    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True).execute(query).mappings():
            yield dict(row)


def purge(engine: Engine, before: datetime) -> int:
    """Delete records older than `before` (the retention period); returns how many."""
    with writing(engine) as conn:
        return conn.execute(delete(audit_log).where(audit_log.c.at < before)).rowcount
