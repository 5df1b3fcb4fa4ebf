"""The gateway between HTTP and the model: the caller's key, their quota, the audit record.

Routes use it in three steps: `caller` (a dependency: the key's principal, or a 401/403),
`admit` (scope check and quota reservation, after the request is known and before generation),
and `Admission.settle` (settle the quota and commit the audit record, before the response is
sent). Every refusal is recorded too, with the check that refused it as its decision. A
database that fails while a request is admitted or finished is a 503 with `Retry-After` (the
client may retry; the traceback goes to the server log), recorded where the database still
takes the record. With no database configured the server runs open (a laptop on loopback) and
all three are no-ops.

Each HTTP request carries a `Trail` (`TRAIL`, set by `request_context.py`): its last record
(id and status), the caller's principal, its admission. A request has one record per model
call (a draft asks the model once per section: one record each) and one record otherwise; a
response that would leave an audited route without a record (a body that is no JSON, a 413, a
500 nobody foresaw) gets one from `record_missing`, and one whose status is not the one its
last record says (a 500 after the model answered) has that record corrected to it. So no
answered request is missing from the log, none is in it twice, and none says 200 for a 500.

Settling is retried (`SETTLE_PAUSES`), each time in a fresh transaction: a settle that never
commits leaves the request's tokens reserved and its stream place taken until its process
stops (`leases.py`: its lease is then settled by the others, as one of unknown use) or the
day and the stream's hour end. Reserved tokens are one sum per subject and day, so that one
conditional UPDATE keeps the limit exact across processes; the lease says which part of the
sum a request holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _, text
from gemeingut.serve.backends import Backend, Prompt, SamplingParams
from gemeingut.serve.database_failures import log_database_failure
from gemeingut.serve.error_codes import STATUS_CODES
from gemeingut.serve.gateway.audit_log import CHARS, UNFINISHED, AuditLog
from gemeingut.serve.gateway.content_log import Sent, as_sent, keep
from gemeingut.serve.gateway.database_thread import DatabaseThreads, to_the_end
from gemeingut.serve.gateway.identity import (
    AuthError,
    Principal,
    identify,
    key_id_of,
    note_use,
    utcnow,
)
from gemeingut.serve.gateway.leases import Leases, holders, reclaim
from gemeingut.serve.gateway.pseudonym_key import KeyReplaced
from gemeingut.serve.gateway.quotas import (
    Headroom,
    QuotaExceeded,
    Reservation,
    held_by_stopped,
    reserve,
    reserve_uncounted,
    settle,
)
from gemeingut.serve.gateway.rate_headers import Headers, rate_limit_headers
from gemeingut.serve.gateway.retention import CONTENT_DAYS, LivePeriods
from gemeingut.serve.gateway.store import reading, writing
from gemeingut.serve.gateway.tables import audit_log
from gemeingut.serve.http_errors import APIError, backend_errors_as_http, database_unavailable

log = logging.getLogger("gemeingut.serve")
T = TypeVar("T")
# PostgreSQL's statements wait on the network, and writes of different rows go on at once:
# several threads (the engine's pool holds 10 connections, and 20 more at a peak).
POSTGRESQL_THREADS = 8
# Threads for the key checks, beside the writes' (SQLite: one, its reads wait for no lock in
# WAL mode).
POSTGRESQL_READ_THREADS = 4
# Refusals after admission but before any work: the request slot they took is given back.
REFUSED_UNWORKED = frozenset({"queue_full", "database_unavailable"})
DECISION_CHARS = CHARS["decision"]
# Seconds between attempts to settle: a transient failure ("database is locked", a PostgreSQL
# connection reset) passes in well under a second; a lasting one costs the client this long.
SETTLE_PAUSES = (0.05, 0.2, 0.5)
_FAILING: weakref.WeakSet[Engine] = weakref.WeakSet()  # databases whose last probe failed
# Why a response that no check recorded ended as it did, by its status (`record_missing`): the
# code its error object names where its raise site names none.
FALLBACK_DECISIONS = STATUS_CODES


def refused_as(error: APIError) -> str:
    """The decision of a request that `error` ended after the gate admitted it: the code the
    check that refused it names (`context_length_exceeded`, `queue_full`), else what its
    status says (`invalid_request`: `APIError` names it where the check names none)."""
    return error.code


class Gateway:
    def __init__(self, engine: Engine, content_days: int | None = None) -> None:
        """`content_days`: keep what was asked and answered that many days (opt-in), unless
        the database stores another value for all of its servers (`admin content retention`:
        followed within seconds, see `retention.LivePeriods`)."""
        self.engine = engine
        self.audit = AuditLog(engine)
        self.periods = LivePeriods(engine)
        self._content_days = content_days
        # A request's calls to the database, from the event loop (`database_thread.py`): its
        # key is read in threads of their own, so that it never waits behind a write (one
        # that waits for another process's lock, on SQLite for up to its busy timeout).
        sqlite = engine.dialect.name == "sqlite"
        self.database = DatabaseThreads(1 if sqlite else POSTGRESQL_THREADS)
        reads = 1 if sqlite else POSTGRESQL_READ_THREADS
        self.reads = DatabaseThreads(reads, "gemeingut-database-reads")
        self.leases = Leases(engine)  # this process's, registered before its model loads

    async def owner(self) -> str:
        """This server process's id for the leases of its reservations: registered at its
        start, or here, with its first admitted request, where the database failed then."""
        if self.leases.started:
            return self.leases.id
        return await self.call(self.leases.start)

    def close(self) -> None:
        """At shutdown: the heartbeat stops, the process unregisters, the database closes."""
        try:
            self.leases.close()
        except SQLAlchemyError:  # the database away: the others take this process for stopped
            log.exception("%s", text(_("the server process could not unregister")))
        self.database.close()
        self.reads.close()
        self.engine.dispose()

    async def call(self, func: Callable[..., T], *args: object) -> T:
        """`func(*args)` (database work) in the gateway's own threads."""
        return await self.database.call(func, *args)

    async def identify(self, token: str) -> Principal:
        """The principal behind `token` (`identity.authenticate`), read in the reading
        threads; its key's last use is noted by the writing ones, not waited for."""
        principal, used_at = await self.reads.call(identify, self.engine, token)
        if used_at is not None:
            self.database.submit(note_use, self.engine, principal.key_id, used_at)
        return principal

    @property
    def content_days(self) -> int | None:
        """Days content is kept, now; None: no content is logged."""
        return self.periods.days(CONTENT_DAYS, self._content_days)

    def record(
        self,
        route: str,
        status: int,
        decision: str,
        principal: Principal | None = None,
        key_id: str | None = None,
        model: str | None = None,
        request_id: str | None = None,
    ) -> str:
        """Commit one audit record now; returns its request id."""
        request_id = request_id or uuid.uuid4().hex
        self.audit.write(
            principal=principal,
            at=utcnow(),
            request_id=request_id,
            key_id=principal.key_id if principal else key_id,
            route=route,
            model=model,
            status=status,
            decision=decision,
        )
        recorded(request_id, status)
        return request_id


@dataclass
class Admission:
    """One admitted request: its quota reservation and its audit record, until `settle`."""

    gateway: Gateway
    principal: Principal
    route: str
    model: str
    reservation: Reservation
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    decision: str = "allowed"  # or which policy rules redacted the input
    sent: Sent | None = None  # what the person sent, kept only where content is logged
    started: float = field(default_factory=time.monotonic)
    # The record's `at`, for every request: when it was admitted (a stream's record is opened
    # then; a refusal's is written when refused, which is its start too).
    admitted_at: datetime = field(default_factory=utcnow)
    # A stream's record is opened with its reservation (`opening_record`); `settle` completes
    # it, also where the stream failed before its first byte (a full queue, an engine's 400).
    record_open: bool = False
    streaming: bool = False  # the stream's response has taken over: its end finishes this
    _done: bool = False
    _retry_due: bool = False  # the last attempt to settle failed, and another is due

    async def settle(
        self,
        status: int,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        answers: list[str] | None = None,
        decision: str | None = None,
    ) -> None:
        """Settle the quota to the tokens used and commit the record (and, where the deployment
        logs content, what was asked and answered); runs once. `decision`: why the server
        refused after admitting (e.g. `queue_full`). A database that fails here is a 503.
        Each attempt runs in the gateway's database thread, the pauses between them in the
        loop (a pause in the thread would hold up every other request's calls); a caller
        cancelled meanwhile is so once the last attempt ended."""
        if not self._begin(status):
            return
        tried = (status, prompt_tokens, completion_tokens, answers, decision)
        try:
            await self.gateway.call(self._attempt, 0, *tried)
        except asyncio.CancelledError:
            if self._retry_due:  # the retries go on; their failure is logged
                with contextlib.suppress(Exception):
                    await to_the_end(self._retries(tried))
            raise
        if self._retry_due:  # most settle at once, without a task for the retries
            await to_the_end(self._retries(tried))

    async def _retries(self, tried: tuple) -> None:
        for attempt, pause in enumerate(SETTLE_PAUSES, start=1):
            await asyncio.sleep(pause)
            if await self.gateway.call(self._attempt, attempt, *tried):
                return

    def _begin(self, status: int) -> bool:
        """Whether this is the first `settle`: it alone settles."""
        if self._done:
            return False
        self._done = True
        recorded(self.request_id, status)  # also if settling fails
        return True

    def _attempt(
        self,
        attempt: int,
        status: int,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        answers: list[str] | None,
        decision: str | None,
    ) -> bool:
        """One attempt to settle, in a fresh transaction, and the content kept once it has
        committed: True when done, False when another attempt is due (`SETTLE_PAUSES`); the
        last that fails is a 503."""
        try:
            self._settle(status, prompt_tokens, completion_tokens, decision, attempt)
        except SQLAlchemyError as error:
            if attempt < len(SETTLE_PAUSES):
                self._retry_due = True
                return False
            said = _(
                "request {id} could not be settled and recorded ({attempts} "
                "attempts): its tokens stay reserved today",
                id=self.request_id,
                attempts=attempt + 1,
            )
            log_database_failure(log, said, error)
            raise database_unavailable() from None
        self._retry_due = False
        if self.sent is not None and answers is not None and self.gateway.content_days:
            self._keep_content(answers)  # logged at admission and still (it may be off now)
        return True

    @property
    def finished(self) -> bool:
        return self._done

    def _settle(
        self,
        status: int,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        decision: str | None,
        attempt: int = 0,
    ) -> None:
        # What was generated counts, also for a client that left (499); a failure passes 0.
        # Tokens unknown (a stream cut short, an engine that told no usage, a 500 nobody
        # foresaw after the work): the whole reservation counts as used.
        if prompt_tokens is not None and completion_tokens is not None:
            used = prompt_tokens + completion_tokens
        else:
            used = self.reservation.tokens
        fields = {
            "status": status,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "duration_ms": int((time.monotonic() - self.started) * 1000),
            "decision": both(self.decision, decision) if decision else self.decision,
        }
        audit = self.gateway.audit
        # One transaction: the quota's tokens and the record that accounts for them commit
        # together (and one write lock is taken, not two).
        with writing(self.gateway.engine) as conn:
            if attempt and self._settled(conn):
                return  # an earlier attempt committed, only its answer was lost
            unworked = decision in REFUSED_UNWORKED
            failed = status >= 500 and not unworked  # the engine's failure: its 429 says so
            settle(conn, self.reservation, used, unworked, failed)
            if self.record_open:
                audit.complete(conn, self.request_id, self.principal, **fields)
            else:
                audit.write(
                    conn,
                    self.principal,
                    at=self.admitted_at,
                    request_id=self.request_id,
                    key_id=self.principal.key_id,
                    route=self.route,
                    model=self.model,
                    **fields,
                )

    def _settled(self, conn: Connection) -> bool:
        """Whether the record is complete: settling again would give back tokens twice."""
        found = conn.execute(
            select(audit_log.c.id).where(
                audit_log.c.request_id == self.request_id, audit_log.c.duration_ms.is_not(None)
            )
        ).first()
        return found is not None

    def _keep_content(self, answers: list[str]) -> None:
        """After the audit record: content that cannot be stored costs its copy, never the
        answer or the record."""
        try:
            keep(
                self.gateway.engine,
                utcnow(),
                self.request_id,
                self.gateway.audit.pseudonym(self.principal.pseudonym_source),
                self.principal,
                self.route,
                self.model,
                self.sent,
                answers,
            )
        except SQLAlchemyError as error:
            said = _("the content of request {id} could not be kept", id=self.request_id)
            log_database_failure(log, said, error)


def both(first: str, then: str) -> str:
    """A decision made after an earlier one (a redacted request that met a full queue, or a
    redacted stream not yet ended) keeps the earlier: `redacted:RULE;queue_full`, the first
    part cut to fit the column."""
    if first == "allowed":
        return then
    return f"{first[: DECISION_CHARS - len(then) - 1]};{then}"


@dataclass
class Trail:
    """What one HTTP request has put in the audit log so far."""

    recorded: bool = False
    principal: Principal | None = None  # the caller, once its key was found valid
    admission: Admission | None = None
    request_id: str | None = None  # of its last record
    status: int | None = None  # that record's
    model: str | None = None  # the model it asked for, once read (`note_model`)
    refusal: tuple[int, str] | None = None  # status and code of a check's 400 (`refusing`)
    # What its last reservation (or refusal) left of the tightest limits per minute and day.
    requests_left: Headroom | None = None
    tokens_left: Headroom | None = None

    def rate_limit_headers(self, status: int) -> Headers:
        """OpenAI's `x-ratelimit-*` headers of the response, from the request's reservation;
        none on a 5xx, whose request may have been given back (`REFUSED_UNWORKED`)."""
        if status >= 500 or (self.requests_left is None and self.tokens_left is None):
            return []
        return rate_limit_headers(self.requests_left, self.tokens_left, utcnow())


TRAIL: ContextVar[Trail | None] = ContextVar("audit_trail", default=None)


def note_model(model: object) -> None:
    """Note the model the request being served names (as asked for, then as resolved), so
    that a record made without an admission (an unknown model, a field out of range) says
    which model was asked for; the record cuts it to its column (`audit_log.fitted`)."""
    trail = TRAIL.get()
    if trail is not None and isinstance(model, str) and model:
        # JSON may carry a lone surrogate, which neither database can store.
        trail.model = model.encode("utf-8", "replace").decode("utf-8")


def refusing(error: APIError) -> APIError:
    """`error`, noted as the decision of the request being served: a check that refuses
    before any admission (a prompt, question or subject that cannot fit the model's context)
    names why in the record `record_missing` makes, which otherwise knows only the status
    (`invalid_request`)."""
    trail = TRAIL.get()
    if trail is not None:
        trail.refusal = (error.status, error.code)
    return error


def recorded(request_id: str, status: int) -> None:
    """Note that the request being served has its record, `request_id` with `status`."""
    trail = TRAIL.get()
    if trail is not None:
        trail.recorded, trail.request_id, trail.status = True, request_id, status


async def record_missing(
    gateway: Gateway, trail: Trail, route: str, status: int, auth: str
) -> None:
    """The record of a response that leaves without one: metadata only, with the pseudonym
    where the key (`auth`, the Authorization header) is valid and a decision after `status`.
    An admission not yet settled is settled with that record; what it generated is not
    known here, so its whole reservation counts. A response whose last record says another
    status (work that failed after it was recorded) has that record's status corrected.
    Each database call runs in the gateway's threads, as the routes' own."""
    if trail.recorded and trail.status == status:
        return
    noted = trail.refusal
    decision = (noted[1] if noted and noted[0] == status else None) or (
        FALLBACK_DECISIONS.get(status)
        or ("allowed" if status < 400 else "refused" if status < 500 else "server_error")
    )
    admission = trail.admission
    opened = admission is not None and admission.streaming  # its stream's end settles it
    if admission is not None and not admission.finished and not opened:
        await admission.settle(status, None, None, decision=decision)
        return
    if trail.recorded and await gateway.call(_corrected, gateway, trail, status):
        return
    principal, key_id = trail.principal, None
    if principal is None:
        token = _bearer(auth)
        try:
            principal = await gateway.identify(token)
        except AuthError:
            key_id = key_id_of(token)  # only what could be a key id: never the caller's junk
    await gateway.call(gateway.record, route, status, decision, principal, key_id, trail.model)


def _corrected(gateway: Gateway, trail: Trail, status: int) -> bool:
    """Give the request's last record the response's `status`; False where that record is
    not in the log (its database failed: the response gets a record of its own)."""
    with writing(gateway.engine) as conn:
        done = conn.execute(
            update(audit_log)
            .where(audit_log.c.request_id == trail.request_id)
            .values(status=status)
        )
    trail.status = status
    return done.rowcount > 0


def get_gateway(request: Request) -> Gateway | None:
    return request.app.state.gateway


async def caller(request: Request) -> Principal | None:
    """The principal behind the request's bearer key (None when the server runs open)."""
    gateway: Gateway | None = request.app.state.gateway
    if gateway is None:
        return None
    token = _bearer(request.headers.get("authorization", ""))
    try:
        principal = await gateway.identify(token)
    except AuthError as error:
        key_id = key_id_of(token)  # only what could be a key id: never the caller's junk
        decision = f"auth:{error.code}"
        await gateway.call(gateway.record, request.url.path, error.status, decision, None, key_id)
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        raise APIError(
            error.status,
            error.message,
            code=error.code,
            type="authentication_error" if error.status == 401 else "permission_error",
            headers=headers,
        ) from None
    if (trail := TRAIL.get()) is not None:
        trail.principal = principal
    return principal


def _bearer(header: str) -> str:
    """The token of an `Authorization: Bearer …` header ("" for anything else)."""
    scheme, _space, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


CallerDep = Annotated[Principal | None, Depends(caller)]


def record_access(
    request: Request, principal: Principal | None, status: int, decision: str
) -> None:
    """The audit record of a call that is not a model call (a search, a source view, a
    finding); nothing when the server runs without a gateway."""
    gateway: Gateway | None = request.app.state.gateway
    if gateway is not None:
        gateway.record(request.url.path, status, decision, principal)


async def admit(
    request: Request,
    principal: Principal | None,
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    n: int,
    stream: bool,
    param: str,
    request_id: str,
    decision: str = "allowed",
    messages: Sequence[Mapping[str, str]] | None = None,
) -> Admission | None:
    """Check the model scope and reserve the quota; None when the server runs open. A chat
    passes its `messages` (as the policy screened them): the content log keeps those, not the
    templated prompt the model gets. The audit record carries `request_id`, the response's own
    id, so a user's question about one answer can be found in the log. A refusal here is
    recorded under that id too, and its error object names it (`id`, beside the HTTP
    request's `request_id`, which OpenAI's clients show as the error's request id): whichever
    of the two a person quotes, `admin audit export --request` finds the record."""
    gateway: Gateway | None = request.app.state.gateway
    if gateway is None or principal is None:
        return None
    route, model = request.url.path, backend.model_name
    if not principal.may_use(model):
        await gateway.call(
            gateway.record, route, 403, "scope:model", principal, None, model, request_id
        )
        raise APIError(
            403,
            _(
                "the API key {key_id} may not use the model {model!r}",
                key_id=principal.key_id,
                model=model,
            ),
            param="model",
            code="model_not_allowed",
            type="permission_error",
            facts={"id": request_id},
        )
    answers = params.max_tokens != 0  # embeddings and the lens generate nothing
    logs_content = bool(gateway.content_days)  # from memory; nothing after reserve may fail
    # A stream's record is committed before its first byte: in the reservation's transaction.
    then = (
        opening_record(gateway, principal, route, model, request_id, decision) if stream else None
    )
    tokens: int | None = None
    try:
        owner = await gateway.owner()  # registered at the start, else now (a 503 if it fails)
        for tried in range(2):  # again once where stopped processes held every stream place
            try:
                # Most requests need not count their tokens (no limit in tokens): one call
                # reads the limits, checks the key and reserves (and opens a stream's record).
                found = await gateway.call(
                    reserve_uncounted, gateway.engine, principal, stream, utcnow(), answers, then,
                    owner,
                )  # fmt: skip
                if found is None:  # counting costs a tokenizer pass (an engine: a round trip)
                    if tokens is None:
                        tokens = await _counted(
                            gateway, backend, prompts, params, n, param, route, principal,
                            model, request_id, decision,
                        )  # fmt: skip
                    found = await gateway.call(
                        reserve, gateway.engine, principal, tokens, stream, utcnow(), answers,
                        then, owner,
                    )  # fmt: skip
                reservation = found
                break
            except QuotaExceeded as exceeded:
                if exceeded.counter is None:
                    raise
                now = utcnow()
                held = await gateway.call(holders, gateway.engine, exceeded.counter, now)
                if held.reclaimable and not tried:
                    await gateway.call(reclaim, gateway.engine, now)
                    continue
                if held.freed_by is not None:
                    raise held_by_stopped(exceeded, held.freed_by, now) from None
                raise
    except QuotaExceeded as exceeded:
        request.app.state.metrics.quota_rejections.labels(model, exceeded.limit).inc()
        if (trail := TRAIL.get()) is not None:  # the 429 tells every limit, as a 200 does
            trail.requests_left, trail.tokens_left = exceeded.requests_left, exceeded.tokens_left
        await gateway.call(
            gateway.record,
            route,
            429,
            f"quota:{exceeded.limit}",
            principal,
            None,
            model,
            request_id,
        )
        raise quota_refused(exceeded, request_id) from None
    except AuthError as error:  # revoked or rotated since `caller` found it valid
        await gateway.call(
            gateway.record, route, 401, f"auth:{error.code}", principal, None, model, request_id
        )
        raise APIError(
            401,
            error.message,
            code=error.code,
            type="authentication_error",
            headers={"WWW-Authenticate": "Bearer"},
            facts={"id": request_id},
        ) from None
    except SQLAlchemyError as error:
        raise await unavailable(gateway, route, principal, model, request_id, error) from None
    except KeyReplaced as stale:  # after this process read it: only a restart helps
        log.error("%s", stale)
        raise APIError(  # not audited: its record would carry the old key's pseudonym
            503, stale.message, code="pseudonym_key_replaced", type="server_error",
            facts={"id": request_id},
        ) from None  # fmt: skip
    kept = as_sent(prompts, messages) if logs_content else None
    admission = Admission(gateway, principal, route, model, reservation, request_id, decision, kept)
    if stream:
        admission.record_open = True
        recorded(request_id, 200)
    if (trail := TRAIL.get()) is not None:
        trail.admission = admission  # a failure nobody foresaw still settles and records it
        trail.requests_left, trail.tokens_left = reservation.requests_left, reservation.tokens_left
    return admission


async def _counted(
    gateway: Gateway,
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    n: int,
    param: str,
    route: str,
    principal: Principal,
    model: str,
    request_id: str,
    decision: str,
) -> int:
    """The most tokens the request may use, for a limit in tokens; a prompt too long (400) or
    an engine that fails to count (502) is recorded and raised."""
    try:
        with backend_errors_as_http(param):
            return await run_in_threadpool(backend.max_tokens_needed, prompts, params, n)
    except APIError as refused:
        outcome = both(decision, refused_as(refused))
        await gateway.call(
            gateway.record, route, refused.status, outcome, principal, None, model, request_id
        )
        refused.facts = {**(refused.facts or {}), "id": request_id}
        raise


def opening_record(
    gateway: Gateway,
    principal: Principal,
    route: str,
    model: str,
    request_id: str,
    decision: str,
) -> Callable[[Connection], None]:
    """The write that opens a stream's record, for the reservation's transaction: it says
    `unfinished` (after an earlier decision) until `Admission.settle` completes it, and keeps
    that if the server dies."""
    audit = gateway.audit

    def write(conn: Connection) -> None:
        audit.write(
            conn,
            principal,
            at=utcnow(),
            request_id=request_id,
            key_id=principal.key_id,
            route=route,
            model=model,
            status=200,
            decision=both(decision, UNFINISHED),
        )

    return write


def quota_refused(exceeded: QuotaExceeded, request_id: str) -> APIError:
    """The 429 of a full limit: `param` names the limit, `quota` its facts (whose kind of
    limit, its numbers, whether waiting can help), so that a client need not parse the
    message; `id` the id its audit record is kept under (`admit`). Where waiting cannot help,
    `x-should-retry: false` tells OpenAI's clients not to ask again on their own (they would
    wait Retry-After's minute twice, for the same 429). Its `code` is the one OpenAI gives its
    own limits per minute and per day, so that a client written for OpenAI that tells a rate
    limit by its code reads it as one; earlier versions said `quota_exceeded`, which an older
    gemeingut as engine still says (`upstream.GATEWAY_DECISIONS` knows both). The audit
    record's decision (`quota:<limit>`) and the metrics are unchanged."""
    refusal = exceeded.refusal
    headers = {"Retry-After": str(exceeded.retry_after)}
    if not refusal.waiting_helps:
        headers["x-should-retry"] = "false"
    facts = asdict(refusal)
    del facts["name"]  # in `param`
    return APIError(
        429,
        exceeded.message,
        param=refusal.name,
        code="rate_limit_exceeded",
        type="rate_limit_error",
        headers=headers,
        facts={"quota": facts, "id": request_id},
    )


def database_answers(engine: Engine) -> bool:
    """Whether the gateway's database can be read now (for `/ready`)."""
    try:
        with reading(engine) as conn:
            conn.execute(sql_text("SELECT 1"))
    except SQLAlchemyError as error:
        # Load balancers probe every few seconds: one traceback when it starts failing.
        if engine in _FAILING:
            cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            said = _("the gateway database still does not answer: {cause}", cause=cause)
            log.error("%s", text(said))
        else:
            _FAILING.add(engine)
            log.exception("%s", text(_("the gateway database does not answer")))
        return False
    if engine in _FAILING:
        _FAILING.discard(engine)
        log.warning("%s", text(_("the gateway database answers again")))
    return True


async def unavailable(
    gateway: Gateway,
    route: str,
    principal: Principal,
    model: str,
    request_id: str,
    error: SQLAlchemyError,
) -> APIError:
    """Log the database's `error`, record the 503 where the database still takes it."""
    said = _("the quota of request {id} could not be reserved", id=request_id)
    log_database_failure(log, said, error)
    try:
        await gateway.call(
            gateway.record, route, 503, "database_unavailable", principal, None, model, request_id
        )
    except SQLAlchemyError as again:
        said = _("request {id} could not be recorded either", id=request_id)
        log_database_failure(log, said, again)
    error = database_unavailable()
    error.facts = {"id": request_id}
    return error
