"""`/v1/findings`: the community red-teaming and bias campaign of a served model.

Anyone with a key reports what the model did wrong (category, prompt, response); the finding
goes into the audit's findings file (`--findings FILE`, the file `gemeingut audit findings`
and the audit report read), named by the reporter's pseudonym, never their name, with the
personal data the safety policy's detectors find replaced before it is stored. Members of
the triage group (`--triage-group`, default `triage`) list the findings and confirm or reject
them; confirmed findings appear in the next audit report. Every call is audited. The server
remembers its findings file in the database, where `admin users remove` finds a removed
person's reports (`findings_files`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.audit.findings import CATEGORIES, NOTE_MAX, CategoryName
from gemeingut.data.pii import PII_TYPES
from gemeingut.i18n import _
from gemeingut.serve.findings_files import remember_findings_file
from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import ErrorResponse
from gemeingut.serve.served import served_model

findings_router = APIRouter()
DEFAULT_TRIAGE_GROUP = "triage"


def _known_category(value: object) -> object:
    """A made-up category would be stored and shown untranslated, so the API refuses it:
    a category in any case and spacing ("Bias ") as the API names it, or a sentence that
    lists the categories (pydantic's own would say what is wrong, not what to send)."""
    if not isinstance(value, str):
        return value  # the type's own error says what is wrong
    name = value.strip().lower()
    if name not in CATEGORIES:
        raise ValueError(
            _(
                "{value!r} is not a category; use one of: {categories}",
                value=value,
                categories=", ".join(CATEGORIES),
            )
        )
    return name


Category = Annotated[CategoryName, BeforeValidator(_known_category)]


@dataclass
class FindingsDesk:
    """Where the server keeps findings, and who triages them; one writer at a time."""

    path: Path
    triage_group: str = DEFAULT_TRIAGE_GROUP
    lock: threading.Lock = field(default_factory=threading.Lock)
    remembered: bool = False  # the database knows `path` (`remember_findings_file`)


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category = Field(
        description="What went wrong: bias, harmful (content), wrong (or invented), privacy "
        "(personal data) or other."
    )
    prompt: str = Field(min_length=1, max_length=20_000)
    response: str = Field(min_length=1, max_length=20_000)
    note: str | None = Field(
        default=None,
        max_length=NOTE_MAX,
        description="What the reporter adds (context, why it is wrong); kept as `report_note`.",
    )
    model: str | None = Field(
        default=None, max_length=200, description="The model that answered (default: the first)."
    )


class Finding(BaseModel):
    id: str
    category: str
    prompt: str
    response: str
    model: str
    reporter: str = Field(description="A pseudonym of the reporting user, or `anonymous`.")
    reported_at: str
    report_note: str | None = Field(
        default=None, description="What the reporter wrote beside it; no decision changes it."
    )
    redacted: list[str] | None = Field(
        default=None,
        description=f"The kinds of personal data ({', '.join(PII_TYPES)}) replaced by "
        "placeholders before the finding was stored.",
    )
    status: Literal["new", "confirmed", "rejected"]
    duplicate_of: str | None
    note: str | None
    updated_at: str


class FindingList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Finding]


class Triage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "confirmed", "rejected"]
    note: str | None = Field(
        default=None,
        max_length=NOTE_MAX,
        description="Why: replaces the note of an earlier decision (none: no note).",
    )
    duplicate_of: str | None = None


def _desk(request: Request) -> FindingsDesk:
    desk = request.app.state.findings
    if desk is None:
        said = _("this server collects no findings (serve --findings FILE)")
        raise APIError(404, said, code="findings_off")
    return desk


@findings_router.post(
    "/v1/findings", response_model=Finding, responses={400: {"model": ErrorResponse}}
)
async def report_finding(body: Submission, request: Request, principal: CallerDep) -> Finding:
    """Report what the model did wrong; the same finding reported twice is stored once."""
    from gemeingut.audit.findings import submit_finding

    desk = _desk(request)
    gateway = request.app.state.gateway
    reporter = (
        gateway.audit.pseudonym(principal.pseudonym_source) if gateway and principal else None
    )

    model = served_model(request, body.model, principal).name

    def store() -> Finding:
        with desk.lock:
            if reporter is not None and not desk.remembered:  # before a report names anyone
                remember_findings_file(gateway.engine, desk.path)
                desk.remembered = True
            stored = submit_finding(desk.path, body.model_dump(exclude={"model"}), model, reporter)
        record_access(request, principal, 200, "allowed")
        return Finding(**stored)

    return await run_in_threadpool(_as_400, store)


@findings_router.get(
    "/v1/findings", response_model=FindingList, responses={403: {"model": ErrorResponse}}
)
async def list_findings(request: Request, principal: CallerDep) -> FindingList:
    """Every finding, for the triage group."""
    from gemeingut.audit.findings import read_findings

    desk = _desk(request)
    await run_in_threadpool(_check_triage, request, principal, desk)

    def read() -> FindingList:
        with desk.lock:
            found = read_findings(desk.path)  # a damaged file is the operator's: a 500, logged
        record_access(request, principal, 200, "allowed")
        return FindingList(data=[Finding(**f) for f in found])

    return await run_in_threadpool(read)


@findings_router.post(
    "/v1/findings/{finding_id}/triage",
    response_model=Finding,
    responses={400: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)
async def triage_finding(
    finding_id: str, body: Triage, request: Request, principal: CallerDep
) -> Finding:
    """Confirm or reject a finding (the triage group)."""
    from gemeingut.audit.findings import read_findings, triage

    desk = _desk(request)
    await run_in_threadpool(_check_triage, request, principal, desk)

    def decide() -> Finding:
        with desk.lock:
            ids = {f["id"] for f in read_findings(desk.path)}
            if finding_id not in ids:
                raise APIError(404, _("no finding {id!r}", id=finding_id), code="not_found")
            if body.duplicate_of is not None and (
                body.duplicate_of not in ids or body.duplicate_of == finding_id
            ):
                raise APIError(
                    400,
                    _("duplicate_of {other!r} is not another finding", other=body.duplicate_of),
                    param="duplicate_of",
                    code="invalid_value",
                )
            changed = triage(desk.path, finding_id, body.status, body.duplicate_of, body.note)
        record_access(request, principal, 200, f"triage:{body.status}")
        return Finding(**changed)

    return await run_in_threadpool(decide)


def may_triage(request: Request, principal: Principal | None) -> bool:
    """Whether the caller may list and triage the findings: the server collects them, and the
    caller is in the triage group (anyone, on a server without identities: one person's on
    loopback). `GET /v1/me` says it, so that the page asks only where it may."""
    desk: FindingsDesk | None = request.app.state.findings
    if desk is None:
        return False
    if request.app.state.gateway is None:
        return True
    return principal is not None and desk.triage_group in principal.groups


def _check_triage(request: Request, principal: Principal | None, desk: FindingsDesk) -> None:
    if not may_triage(request, principal):
        record_access(request, principal, 403, "scope:triage")
        raise APIError(
            403,
            _("only members of the group {group} triage findings", group=desk.triage_group),
            code="not_in_triage_group",
            type="permission_error",
        )


def _as_400(work):
    """A submission the findings file refuses (a field of blanks only) is the client's 400."""
    from gemeingut.errors import InputError

    try:
        return work()
    except InputError as error:
        raise APIError(400, error.message, code="blank_value") from None
