"""The gateway's tables (SQLAlchemy Core). Changes go through an Alembic revision in
`migrations/versions/`; `tests/serve/gateway/test_store.py` checks that the two agree.

Times are naive UTC datetimes: SQLite keeps no time zone, and one convention for both databases
keeps comparisons plain.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # What the audit pseudonym is made from; ids can be reused, salts are not. NULL: a user from
    # before revision 0004, whose pseudonym is made from the id (see `identity.pseudonym_source`).
    Column("pseudonym_salt", String(32), nullable=True),
)

groups = Table(
    "groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),  # public: shown in lists and the audit log
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("models", JSON, nullable=True),  # None: every model the server serves
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    Column("last_used_at", DateTime, nullable=True),
)

quota_limits = Table(
    "quota_limits",
    metadata,
    # key, user, group (one total for all its members) or member (the group's limit for each
    # member on their own: revision 0007)
    Column("subject_kind", String(8), primary_key=True),
    Column("subject", String(200), primary_key=True),  # key id, user name or group name
    Column("requests_per_minute", Integer, nullable=True),
    Column("tokens_per_day", BigInteger, nullable=True),  # 3 billion a day is plausible
    Column("concurrent_streams", Integer, nullable=True),
)

# A member's counters under a group's per-member limit are named by both (`member_counter`):
# two names of up to 200 characters and the line break between them (no name holds one).
MEMBER_SEPARATOR = "\n"

usage_counters = Table(
    "usage_counters",
    metadata,
    Column("subject_kind", String(8), primary_key=True),
    Column("subject", String(401), primary_key=True),  # as quota_limits, or `member_counter`
    # minute:…, day:…, streams, a stream's place stream:…, or failed:… (`quotas.FAILED`)
    Column("window", String(32), primary_key=True),
    Column("used", BigInteger, nullable=False, default=0),  # tokens: up to tokens_per_day
    Column("reserved", BigInteger, nullable=False, default=0),
)


# Each server process that holds reservations (revision 0010): where it runs and when it last
# said it is alive (`leases.py`), so that what a process killed mid-request holds is freed soon.
server_processes = Table(
    "server_processes",
    metadata,
    Column("id", String(32), primary_key=True),  # random, per start
    # Host, boot and PID namespace: where `pid` names this process (NULL: not known there).
    Column("machine", String(200), nullable=True),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("beat_at", DateTime, nullable=False),
)

# What one request still running holds (revision 0010): its reserved tokens and stream places,
# to be settled as of unknown use where its process stops before it could settle them.
leases = Table(
    "leases",
    metadata,
    Column("id", String(32), primary_key=True),
    # No index beside the key: the table holds the requests running now, read whole only by a
    # heartbeat or a refused stream; each index would cost every limited request two writes.
    Column("process", String(32), nullable=False),  # server_processes.id
    Column("place", String(32), nullable=True),  # its stream places' window
    Column("tokens", BigInteger, nullable=False),
    Column("counters", JSON, nullable=False),  # [kind, subject, window] of tokens and places
)


def member_counter(group: str, user: str) -> str:
    """The counters' subject of `user` under the per-member limit of `group`."""
    return f"{group}{MEMBER_SEPARATOR}{user}"


audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("request_id", String(64), nullable=False, unique=True),
    Column("user_pseudonym", String(16), nullable=True),
    Column("key_id", String(32), nullable=True),
    Column("route", String(40), nullable=False),
    Column("model", String(200), nullable=True),
    Column("status", Integer, nullable=False),
    Column("decision", String(80), nullable=False),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    # Only an administrator's record (`admin:…`): who acted, as a pseudonym (revision 0006).
    Column("operator_pseudonym", String(16), nullable=True),
    # The HTTP request's id, as its `x-request-id` header and error body show it: random, or
    # the reverse proxy's (`request_id.py`); several records of one request share it (0008).
    Column("x_request_id", String(32), nullable=True),
    # The server process that wrote it (`records_servers.this_process`, revision 0011), so that
    # the record tells a killed server's own last answers from another's (`Outage`); NULL in
    # records from before.
    Column("server", String(12), nullable=True),
)

# Only where the deployment opts in (`serve --content-log-days N`): what was asked and answered,
# under the same pseudonym as the audit record, deleted after N days.
content_log = Table(
    "content_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("request_id", String(64), nullable=False, unique=True),
    Column("user_pseudonym", String(16), nullable=False, index=True),
    Column("route", String(40), nullable=False),
    Column("model", String(200), nullable=True),
    Column("prompt", Text, nullable=False),
    Column("answer", Text, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)
