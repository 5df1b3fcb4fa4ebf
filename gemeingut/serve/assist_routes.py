"""`POST /v1/assist/tender`: the tender check for the page and any client.

The draft's text is checked against the shipped procurement rules (`apps.assistants.tender`);
each finding names the rule's legal source and the sentence. The text is read here and not
kept: the audit record says who checked, never what.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.http_errors import request_language
from gemeingut.serve.schemas import ErrorResponse

assist_router = APIRouter()


class TenderDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500_000, description="The draft as text.")


class TenderFinding(BaseModel):
    rule: str
    source: str = Field(description="The legal source, e.g. § 31 Abs. 6 VgV.")
    severity: Literal["error", "warning", "hint"]
    title: str
    advice: str
    passage: str | None = Field(description="The draft's sentence; null where something lacks.")


class TenderCheck(BaseModel):
    object: Literal["tender.check"] = "tender.check"
    errors: int
    findings: list[TenderFinding]


@assist_router.post(
    "/v1/assist/tender", response_model=TenderCheck, responses={400: {"model": ErrorResponse}}
)
async def check_tender_text(
    body: TenderDraft, request: Request, principal: CallerDep
) -> TenderCheck:
    """Check a tender draft against the procurement rules; in the request's language."""
    from gemeingut.apps.assistants.tender import check_passages, load_rules
    from gemeingut.apps.rag.readers import Passage

    language = request_language(request)
    paragraphs = [Passage(part) for part in body.text.split("\n\n") if part.strip()]
    found = await run_in_threadpool(check_passages, paragraphs, load_rules(), language)
    await run_in_threadpool(record_access, request, principal, 200, "allowed")
    return TenderCheck(
        errors=sum(f.severity == "error" for f in found),
        findings=[
            TenderFinding(
                rule=f.rule,
                source=f.source,
                severity=f.severity,
                title=f.title,
                advice=f.advice,
                passage=f.passage,
            )
            for f in found
        ],
    )
