"""The audit log a data-protection officer can sign off: metadata only, pseudonymised, complete.

A record holds when, which route and model, a pseudonym of the user (an HMAC with a secret kept
in the database, so the log alone cannot name anyone), the key id, the status, the decision
(allowed, or which check refused), token counts, the HTTP request's id (`x_request_id`,
random or the reverse proxy's: what the response's `x-request-id` header said, so that
support finds the record of a request a person asks about) and the server process that wrote
it (`server`, its key in the record of processing activities: a killed server's last answers
are told apart from those of the one that took over). No prompt, no answer, no IP address.
A record is committed before its response leaves the server, so no request that got an answer
is missing from the log, even after `kill -9`; a stream's record is written when the stream
starts, with the decision `unfinished`, and completed when it ends: a stream whose server died
mid-answer keeps `unfinished` (and no duration), never passing for an answer given whole.

A record is written (or completed) under the person's pseudonym only while the person
exists: a request that passed the key check before `admin users remove` took its person away
finishes under `ERASED`, the mark the removal leaves in the findings files, checked by the
statement that writes (`identity.person_still_there`), so that the log gains nothing under
the pseudonym of a person already erased. What it held of them before the removal stays for
its retention, as `users remove` says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, bindparam, case, delete, select, update

from gemeingut.audit.findings import ANONYMOUS
from gemeingut.serve.gateway.direct_sql import run
from gemeingut.serve.gateway.identity import Principal, person_named, person_still_there
from gemeingut.serve.gateway.records_servers import this_process
from gemeingut.serve.gateway.store import pseudonym_secret, reading, writing
from gemeingut.serve.gateway.tables import audit_log
from gemeingut.serve.request_id import REQUEST_ID

# The longest text each column holds: a record never fails (a 500 on PostgreSQL) or grows
# (SQLite keeps any length) because of a value longer than its column.
CHARS = {c.name: c.type.length for c in audit_log.columns if getattr(c.type, "length", None)}
# A record as exported (one compact JSONL line, its newline included) stays under 0.5 KB,
# whatever its fields hold: texts are cut to their columns in bytes as JSON writes them, and a
# model id longer than MODEL_BYTES keeps its start and a short hash (`stored_model`), less
# where the rest of the record leaves less room. A record of the API names no operator (left
# out of the export), an administrator's names no model and no HTTP request (left out too).
# With the longest values the server writes (a 40-character route, its longest response id,
# a reverse proxy's 32-character request id, an 80-character decision), a model id of
# MODEL_BYTES stays whole (`test_audit_record_size`).
RECORD_BYTES = 512
MODEL_BYTES = 64
# JSON as an export writes it (`admin audit export`): no blank after `,` and `:`.
SEPARATORS = (",", ":")
# The widest time an export writes (the stored time can only be this long or shorter).
_WIDEST_AT = "2000-12-31T23:59:59.999999Z"
# What a stream's record may hold at its widest once completed (its tokens, duration, status
# and final decision come when it ends); any other record is written whole.
_WIDEST_COMPLETED = {
    "status": 999,
    "decision": "x" * CHARS["decision"],
    "prompt_tokens": -(2**31),
    "completion_tokens": -(2**31),
    "duration_ms": -(2**31),
}
# What the log holds of each request, as /v1/policy and the record of processing activities
# list it. An export leaves out the row's number and the server process (`server`, which the
# record reads for a crashed server's outage): neither says anything of a person, and the
# key's 24 bytes in each line would cut a 64-byte model id in a stream's record.
LOGGED_COLUMNS = tuple(c.name for c in audit_log.columns if c.name != "id")
NOT_EXPORTED = frozenset({"id", "server"})
EXPORT_COLUMNS = tuple(name for name in LOGGED_COLUMNS if name not in NOT_EXPORTED)
# Column names that would hold what people wrote or where they connected from; /v1/policy
# checks the table against them instead of promising.
CONTENT_COLUMNS = frozenset({"prompt", "messages", "content", "answer", "completion_text"})
ADDRESS_COLUMNS = frozenset({"ip", "ip_address", "client_address", "remote_addr", "host"})
# A stream's decision until it ends, after the decision made before it (`redacted:RULE;…`).
UNFINISHED = "unfinished"
# A record whose token counts are an estimate, not the engine's count (`upstream._estimated`).
ESTIMATED = "tokens_estimated"
# A person removed while their request ran (`users remove`): the mark their findings get.
ERASED = ANONYMOUS
# Built once: SQLAlchemy keeps a built statement's compiled form, and building them for every
# record cost more than running them. The values come with each execution.
_INSERT = audit_log.insert()
_INSERT_OF_PERSON = audit_log.insert().values(
    user_pseudonym=case((person_still_there(), bindparam("person_pseudonym")), else_=ERASED)
)
_COMPLETE = (
    update(audit_log)
    .where(audit_log.c.request_id == bindparam("record_request_id"))
    .values(user_pseudonym=case((person_still_there(), audit_log.c.user_pseudonym), else_=ERASED))
)


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._secret = pseudonym_secret(engine)

    def pseudonym(self, source: str) -> str:
        """Stable per user and deployment; not reversible without the deployment's secret.
        `source`: `identity.pseudonym_source` of the user (never their reusable id alone)."""
        return hmac.new(self._secret, source.encode(), hashlib.sha256).hexdigest()[:16]

    def write(
        self, conn: Connection | None = None, principal: Principal | None = None, **record: object
    ) -> None:
        """Commit one record; with `conn`, as part of the caller's write transaction. It
        carries the id of the HTTP request being served, where one is, and this process's
        key. With `principal`, the pseudonym of its person, or `ERASED` where the person was
        removed meanwhile."""
        record = {"x_request_id": REQUEST_ID.get(), "server": this_process()} | record
        if principal is None:
            statement, values = _INSERT, fitted(record)
        else:  # fitted with the pseudonym, which the statement puts in where the person is
            pseudonym = self.pseudonym(principal.pseudonym_source)
            values = fitted(record | {"user_pseudonym": pseudonym})
            values["person_pseudonym"] = values.pop("user_pseudonym")
            statement, values = _INSERT_OF_PERSON, values | person_named(principal)
        if conn is not None:
            run(conn, statement, values)
            return
        with writing(self.engine) as conn:
            run(conn, statement, values)

    @staticmethod
    def complete(conn: Connection, request_id: str, principal: Principal, **fields: object) -> None:
        """Fill in a stream's record, in the caller's write transaction; `ERASED` in place of
        the pseudonym where `principal`'s person was removed while it ran."""
        named = {"record_request_id": request_id} | person_named(principal)
        run(conn, _COMPLETE, named | fields)


def fitted(record: dict[str, object]) -> dict[str, object]:
    """`record` as stored: each text cut to its column (a long collection name makes a long
    path), the model id shortened to what keeps the exported record under `RECORD_BYTES`."""
    fit = dict(record)
    for name, most in CHARS.items():
        value = fit.get(name)
        if isinstance(value, str) and name != "model":
            fit[name] = _cut(value, most)
    model = fit.get("model")
    if isinstance(model, str):
        completed = _WIDEST_COMPLETED if _still_open(fit) else {}
        room = RECORD_BYTES - 1 - exported_bytes({**fit, **completed, "model": ""})
        fit["model"] = stored_model(model, min(MODEL_BYTES, room))
    return fit


def _still_open(record: dict[str, object]) -> bool:
    """Whether `record` is a stream's, to be completed when the stream ends (`complete`)."""
    return str(record.get("decision") or "").endswith(UNFINISHED)


def stored_model(model: str, most: int = MODEL_BYTES) -> str:
    """The model id as a record keeps it: whole where it fits `most` bytes, else its start,
    `…` and 8 hex digits of its SHA-256, so that two long ids with one start stay apart and a
    filter by model can compute what the log holds for an id."""
    if _bytes(model) <= most:
        return model
    tag = "…" + hashlib.sha256(model.encode()).hexdigest()[:8]
    if most < _bytes(tag):  # every other field at its longest: the record's size comes first
        return _cut(model, max(0, most))
    return _cut(model, most - _bytes(tag)) + tag


def exported_bytes(record: dict[str, object]) -> int:
    """The bytes of `record`'s line in a JSONL export (`admin audit export`: a time as ISO
    8601 UTC, a key by its pseudonym, `k-` and 16 hex digits)."""
    shown = shown_record(record)
    if shown.get("key_id") is not None:
        shown["key_id"] = "k-" + "0" * 16
    if isinstance(shown.get("at"), datetime):
        shown["at"] = _WIDEST_AT
    line = json.dumps(shown, default=str, ensure_ascii=False, separators=SEPARATORS)
    return len((line + "\n").encode())


OPTIONAL = frozenset({"operator_pseudonym", "x_request_id"})


def shown_record(record: dict[str, object]) -> dict[str, object]:
    """A record as an export shows it (`NOT_EXPORTED` left out): without an operator where it
    has none (the API's), without an HTTP request's id where it has none (an administrator's,
    or from before)."""
    return {
        name: value
        for name, value in record.items()
        if name not in NOT_EXPORTED and not (name in OPTIONAL and value is None)
    }


# What JSON escapes in a string it writes with `ensure_ascii=False` (json.encoder's ESCAPE).
_ESCAPED = re.compile(r'[\x00-\x1f\\"]')


def _bytes(value: str) -> int:
    """Bytes of `value` inside a JSON string (UTF-8, escapes counted). A text with nothing to
    escape (nearly every one) is counted without writing it as JSON: `fitted` sizes each
    field of every record, some of them several times (`_cut`)."""
    if _ESCAPED.search(value) is None:
        return len(value) if value.isascii() else len(value.encode())
    return len(json.dumps(value, ensure_ascii=False).encode()) - 2


def _cut(value: str, most: int) -> str:
    """The longest start of `value` that takes at most `most` characters and JSON bytes."""
    value = value[:most]
    while _bytes(value) > most:
        value = value[:-1]
    return value


def unfinished() -> ColumnElement[bool]:
    """Records of streams that have not ended: still running, or cut off with their server.
    An administrator's record (`admin:…`, before revision 0006 `admin …`) is never one."""
    decision, route = audit_log.c.decision, audit_log.c.route
    admin = route.startswith("admin:") | route.startswith("admin ")
    return ((decision == UNFINISHED) | decision.endswith(";" + UNFINISHED)) & ~admin


def export(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    pseudonym: str | None = None,
    key_id: str | None = None,
    operator: str | None = None,
    request: str | None = None,
) -> Iterator[dict[str, object]]:
    """Records in time order, for the records of processing activities (DSGVO Art. 30); of
    one person (their `pseudonym`), one key, the acts of one operator (their pseudonym), or
    one request (its `x-request-id`, or a record's own id: an answer's `id`) if asked."""
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
    if operator is not None:
        query = query.where(audit_log.c.operator_pseudonym == operator)
    if request is not None:
        query = query.where(
            (audit_log.c.x_request_id == request) | (audit_log.c.request_id == request)
        )
    # A reading connection: on SQLite a plain one would begin IMMEDIATE and hold the write
    # lock for the whole export, stalling every request's record (and the export's own).
    with reading(engine) as conn:
        for row in conn.execution_options(stream_results=True).execute(query).mappings():
            yield shown_record(dict(row))


def purge(engine: Engine, before: datetime) -> int:
    """Delete records older than `before` (the retention period); returns how many."""
    with writing(engine) as conn:
        return conn.execute(delete(audit_log).where(audit_log.c.at < before)).rowcount
