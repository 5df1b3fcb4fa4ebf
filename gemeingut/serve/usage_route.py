"""`GET /v1/me`: the caller's own key, the limits that apply to it, and today's use of each.

What LiteLLM's `/key/info` tells a key's holder, in tokens and requests instead of money: for
every limit of the key, its user, and each group of the user (a total the group shares, or the
same limit for each member), its values and what is used of it now, counted by the quota
module's own `usage` and `member_usage` (the counters the reservations take from, not a second
tally). Nothing about anyone else: a group's shared total is what its members draw from, and
of a per-member limit only the caller's own use is read. Not audited, as `/v1/models` is not:
it reads the caller's own figures. Without a gateway (no `--db`) nothing is counted, and the
answer says that no limit applies. It also says whether the caller may triage the community
findings: the page asks for them only then (asked by anyone else, each a 403 and a record).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from gemeingut.i18n import _
from gemeingut.serve.findings_routes import may_triage
from gemeingut.serve.gateway.gate import CallerDep, Gateway
from gemeingut.serve.gateway.identity import Principal, list_keys, utcnow
from gemeingut.serve.gateway.quotas import LIMITS, day_end, limits_of, member_usage, usage
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import ErrorResponse

usage_router = APIRouter()


class OwnKey(BaseModel):
    id: str
    expires_at: datetime | None = Field(description="UTC; null: the key does not expire.")
    models: list[str] | None = Field(description="The models it may use; null: every model.")


class LimitInUse(BaseModel):
    whose: Literal["key", "user", "group", "member"] = Field(
        description="The key's own limit, the user's, a total the group shares (`group`), or "
        "the same limit for each member of the group (`member`), as a 429's `quota` names it."
    )
    group: str | None = Field(description="The group of a `group` or `member` limit.")
    requests_per_minute: int | None = Field(description="null: no such limit.")
    tokens_per_day: int | None = Field(description="null: no such limit; a UTC day.")
    concurrent_streams: int | None = Field(description="null: no such limit.")
    requests_this_minute: int
    tokens_today: int = Field(description="Tokens used today (UTC) of this limit.")
    tokens_reserved: int = Field(description="Tokens held now by answers still being written.")
    open_streams: int


class OwnAllowance(BaseModel):
    object: Literal["allowance"] = "allowance"
    counted: bool = Field(description="Whether this server counts use at all (it has --db).")
    user: str | None
    groups: list[str]
    key: OwnKey | None
    limits: list[LimitInUse] = Field(description="Every limit that applies; empty: none.")
    day_ends_at: datetime = Field(description="When the UTC day of `tokens_today` ends.")
    may_triage: bool = Field(
        description="Whether the caller may list and triage the community findings "
        "(`GET /v1/findings`): the server collects them and the caller is in its triage group."
    )


@usage_router.get("/v1/me", responses={401: {"model": ErrorResponse}})
def own_allowance(request: Request, principal: CallerDep) -> OwnAllowance:
    """The caller's key, the limits that apply to it and what is used of each today."""
    now = utcnow()
    day_ends = day_end(now)
    gateway: Gateway | None = request.app.state.gateway
    if gateway is None or principal is None:  # a server without --db counts nothing
        return OwnAllowance(
            counted=False,
            user=None,
            groups=[],
            key=None,
            limits=[],
            day_ends_at=day_ends.replace(tzinfo=UTC),
            may_triage=may_triage(request, principal),
        )
    engine = gateway.engine
    return OwnAllowance(
        counted=True,
        user=principal.user,
        groups=list(principal.groups),
        key=_own_key(engine, principal),
        limits=[_in_use(engine, row, principal, now) for row in limits_of(engine, principal)],
        day_ends_at=day_ends.replace(tzinfo=UTC),
        may_triage=may_triage(request, principal),
    )


def _in_use(
    engine: Engine, row: dict[str, object], principal: Principal, now: datetime
) -> LimitInUse:
    """One limit and what is used of it now: of a per-member limit the caller's own use."""
    kind, subject = str(row["subject_kind"]), str(row["subject"])
    used = (
        member_usage(engine, subject, principal.user, now)
        if kind == "member"
        else usage(engine, kind, subject, now)
    )
    return LimitInUse(
        whose=kind,  # type: ignore[arg-type]  # one of quotas.SUBJECT_KINDS
        group=subject if kind in ("group", "member") else None,
        **{name: row[name] for name in LIMITS},  # type: ignore[arg-type]
        **used,
    )


def _own_key(engine: Engine, principal: Principal) -> OwnKey:
    """The caller's key as its holder may see it: its id, expiry and model scope."""
    row = next((k for k in list_keys(engine, principal.user) if k["id"] == principal.key_id), None)
    if row is None:  # removed since the request authenticated
        raise APIError(
            401, _("the API key is not valid"), code="invalid_api_key", type="authentication_error"
        )
    expires = row["expires_at"]
    return OwnKey(
        id=principal.key_id,
        expires_at=expires.replace(tzinfo=UTC) if isinstance(expires, datetime) else None,
        models=list(principal.models) if principal.models is not None else None,
    )
