"""`POST /v1/assist/tender` and `/v1/assist/draft`: the assistants for the page and any client.

The tender draft's text is checked against the procurement rules the server was started with
(the shipped ones and the office's own, `serve --tender-rules`, as `assist tender --rules`
takes them: `apps.assistants.tender`); each finding names the rule's legal source and the
sentence. The
text is read here and not kept: the audit record says who checked, never what. A memo or
speech is written by the served model from a collection the caller may see
(`apps.assistants.drafts`), section by section, each section a model call of its own. Each
is asked at its planned length while the caller's daily token allowance holds it; once the
allowance refuses one, what is left (read from the quota's own refusal) is shared among the
sections still to write (`apps.assistants.allowance`): they are written shorter, and those it
holds no longer are not written, each saying why. Only where it holds not even the first
section is the draft refused, with the quota's 429.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import Message, _
from gemeingut.serve.collection_answers import (
    STATUS_HELP,
    AnswerSource,
    CitationCheck,
    Status,
    ask_served_model,
    citation_checks,
    counter,
)
from gemeingut.serve.collections import Collections, visible_collection
from gemeingut.serve.gateway.gate import TRAIL, CallerDep, record_access, recorded
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import ErrorResponse

if TYPE_CHECKING:
    from gemeingut.apps.rag.readers import Passage
    from gemeingut.errors import InputError

assist_router = APIRouter()
MAX_DRAFT_CHARS = 500_000  # as a pasted draft
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class DraftFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=200, description="The file's name; its ending names the format."
    )
    data: str = Field(min_length=1, description="The file's bytes, base64-encoded.")


class TenderDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, min_length=1, max_length=MAX_DRAFT_CHARS, description="The draft as text."
    )
    file: DraftFile | None = Field(
        default=None, description="Or the draft as a file: PDF, DOCX, ODT, HTML, Markdown, text."
    )


class TenderFinding(BaseModel):
    rule: str
    source: str = Field(description="The legal source, e.g. § 31 Abs. 6 VgV.")
    severity: Literal["error", "warning", "hint"]
    title: str
    advice: str
    passage: str | None = Field(description="The draft's sentence; null where something lacks.")
    page: int | str | None = Field(
        default=None, description="The passage's page (PDF) as printed: a number or a label."
    )
    section: str | None = Field(
        default=None, description="The heading above the passage (DOCX, ODT, HTML, Markdown)."
    )


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
    """Check a tender draft against the procurement rules; in the request's language. The
    rules are the server's (`serve --tender-rules`), not each caller's: a caller can neither
    leave one out nor send patterns that would take the server's time."""
    from gemeingut.apps.assistants.tender import check_passages, load_rules
    from gemeingut.apps.rag.readers import Passage

    language = request_language(request)
    if (body.text is None) == (body.file is None):
        raise APIError(400, _("send the draft as text or as a file, one of them"), param="text")
    if body.file is not None:
        paragraphs = await run_in_threadpool(_read_file, body.file)
    else:
        assert body.text is not None
        paragraphs = [Passage(part) for part in body.text.split("\n\n") if part.strip()]
        if not paragraphs:
            raise APIError(400, _("no text found"), param="text")
    rules = request.app.state.tender_rules
    if rules is None:
        rules = await run_in_threadpool(load_rules)
    found = await run_in_threadpool(check_passages, paragraphs, rules, language)
    checked = TenderCheck(
        errors=sum(f.severity == "error" for f in found),
        findings=[TenderFinding.model_validate(f, from_attributes=True) for f in found],
    )
    # Recorded last, once nothing can fail: a 500 after it would leave a record saying 200.
    await run_in_threadpool(record_access, request, principal, 200, "allowed")
    return checked


def _read_file(draft: DraftFile) -> list[Passage]:
    """The file's passages (with pages and sections), read in a temporary folder that is gone
    afterwards: the draft is checked, not kept."""
    import base64
    import binascii
    import tempfile

    from gemeingut.apps.rag.readers import read_document, require_known_format
    from gemeingut.errors import InputError

    name = Path(draft.name).name  # shown in messages only; the file is written as draft.EXT
    suffix = Path(name).suffix.lower()
    try:
        require_known_format(Path(name))
        content = base64.b64decode(draft.data, validate=True)
    except InputError as error:
        raise APIError(400, error.message, param="file") from None
    except binascii.Error:
        raise APIError(400, _("file.data is not base64"), param="file") from None
    if suffix in (".docx", ".odt") and _unpacked_size(content) > MAX_UNPACKED_BYTES:
        raise APIError(400, _("{name}: unpacks to too much data", name=name), param="file")
    with tempfile.TemporaryDirectory(prefix="gemeingut-tender-") as folder:
        path = Path(folder) / f"draft{suffix}"
        path.write_bytes(content)
        try:
            passages = read_document(path)
        except InputError as error:
            raise APIError(400, _reason(error, path, name), param="file") from error
    if not passages:
        raise APIError(400, _("{name}: no text found", name=name), param="file")
    if sum(len(p.text) for p in passages) > MAX_DRAFT_CHARS:
        raise APIError(400, _("{name}: more text than a tender draft", name=name), param="file")
    return passages


def _reason(error: InputError, path: Path, name: str) -> Message | str:
    """The reader's own reason and hint ("not UTF-8 … save the file as UTF-8"), with the
    client's file name where the reader named the temporary file, which the client never saw
    and which is gone."""
    message = error.message
    if isinstance(message, Message):
        values = {key: _renamed(value, path, name) for key, value in message.values.items()}
        message = Message(message.msgid, values)
    else:
        message = message.replace(str(path), name)
    if not error.hint:
        return message
    return _("{message} (hint: {hint})", message=message, hint=error.hint)


def _renamed(value: object, path: Path, name: str) -> object:
    return value.replace(str(path), name) if isinstance(value, str) else value


def _unpacked_size(content: bytes) -> int:
    """What a DOCX or ODT (a zip) unpacks to, from its directory, before anything is read."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        return 0  # not a zip at all: the reader says it is damaged


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["vermerk", "rede"]
    collection: str = Field(min_length=1, description="The collection to write from.")
    subject: str = Field(min_length=1, max_length=500)
    audience: str = Field(default="", max_length=200, description="Rede: who listens.")
    occasion: str = Field(default="", max_length=200, description="Rede: the occasion.")
    minutes: int = Field(default=5, ge=1, le=60, description="Rede: its length.")
    points: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=10, description="Rede: key points."
    )
    k: int = Field(
        default=6,
        ge=1,
        le=20,
        description="Sources to offer the model at most (a speech: at least one per key point).",
    )


class DraftSectionOut(BaseModel):
    id: str
    heading: str
    text: str
    supported: bool = Field(description="The section cites sources, and every citation holds.")
    status: Status = Field(description=STATUS_HELP)
    problems: list[str]
    citations: list[CitationCheck] = Field(description="Each citation, checked, and its place.")
    asked_model: bool = Field(
        default=True,
        description="Whether the model wrote this section; false for a key point none of whose "
        "sources is left, and for a section the daily token allowance no longer held "
        "(`allowance_tokens` 0): its text says it is not written and its `problems` say why.",
    )
    allowance_tokens: int | None = Field(
        default=None,
        description="Where the daily token allowance held fewer answer tokens than planned: "
        "those it held for this section (it is shorter), or 0 (none: it is not written); "
        "null where it was written as planned.",
    )


class DraftOut(BaseModel):
    object: Literal["assist.draft"] = "assist.draft"
    kind: Literal["vermerk", "rede"]
    title: str
    asked_model: bool
    supported: bool
    message: str | None = Field(
        description="Why nothing was written; or, for a written draft, its note (as `note`)."
    )
    note: str | None = Field(
        default=None,
        description="Sources shortened or left out because the model's context could not hold "
        "them whole, said.",
    )
    sources_found: int = Field(
        default=0, description="Sources retrieved for the subject and the key points."
    )
    sources_dropped: int = Field(
        default=0, description="Of those, left out: they did not fit into the model's context."
    )
    sources_shortened: int = Field(
        default=0,
        description="Of those kept, given to the model as their most relevant sentences only; "
        "`sources` lists them whole, as citations are checked.",
    )
    sections: list[DraftSectionOut]
    sources: list[AnswerSource]
    markdown: str


@assist_router.post(
    "/v1/assist/draft",
    response_model=DraftOut,
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def write_draft_route(
    body: DraftBody, request: Request, principal: CallerDep, collections: Collections
) -> DraftOut:
    """A memo or speech from a collection the caller may see: one model call per section
    (each admitted, counted and audited like a completion: one record each), each section's
    citations checked; a draft that asked no model has one record of its own."""
    from gemeingut.apps.assistants.drafts import (
        DraftRequest,
        beyond_allowance,
        checked_section,
        no_evidence,
        prepare,
        render_markdown,
        room_for,
        section_messages,
    )
    from gemeingut.errors import InputError

    language = request_language(request)
    collection = await run_in_threadpool(
        visible_collection, request, principal, collections, body.collection
    )
    wanted = DraftRequest(
        body.kind, body.subject, body.audience, body.occasion, body.minutes, tuple(body.points)
    )
    count = counter(request.app.state.backend)
    try:
        reranker = request.app.state.reranker
        prepared = await run_in_threadpool(
            prepare, collection, wanted, count, language, body.k, "hybrid", reranker
        )
    except InputError as error:
        raise APIError(400, error.message, param="subject") from None
    calls = 0  # each recorded by its admission
    not_asked: set[str] = set()  # the sections of key points without a source, or beyond
    if not prepared.sources:
        draft = no_evidence(wanted, prepared)
    else:
        sections = []
        to_write = sum(prepared.unsourced(plan) is None for plan in prepared.plans)
        most: int | None = None  # the answer tokens the daily allowance holds for each part
        held = True  # whether it holds another part
        last_record: tuple[str, int] | None = None  # of the last part written
        for plan in prepared.plans:
            unsourced = prepared.unsourced(plan)  # a key point without a source: not asked
            if unsourced is not None or not held:
                sections.append(unsourced or beyond_allowance(plan, prepared))
                not_asked.add(plan.id)
                continue
            messages = section_messages(wanted, plan, prepared.shown, prepared.language)
            room = await run_in_threadpool(room_for, messages, plan.max_tokens, count)
            try:
                text, asked, most = await _within_allowance(
                    request, principal, messages, room, most, to_write - calls
                )
            except APIError as refused:
                if not calls or _tokens_refused(refused) is None:
                    raise  # nothing written yet: the refusal says why, as for any request
                # The parts written stand; the response's status is their record's, not the
                # refusal's (which stays in the log as the 429 it was).
                if last_record is not None:
                    recorded(*last_record)
                held = False
                sections.append(beyond_allowance(plan, prepared))
                not_asked.add(plan.id)
                continue
            calls += 1
            last_record = _last_record()
            shortened = asked if asked < room else None
            sections.append(checked_section(plan, text, prepared, shortened))
        draft = prepared.draft(wanted.kind, sections)
    written = DraftOut(
        kind=draft.kind,
        title=draft.title,
        asked_model=draft.asked_model,
        supported=draft.supported,
        message=draft.message or draft.note,  # the page shows the message under the sections
        note=draft.note,
        sources_found=draft.sources_found,
        sources_dropped=draft.sources_dropped,
        sources_shortened=draft.sources_shortened,
        sections=[
            DraftSectionOut(
                id=s.id,
                heading=s.heading,
                text=s.text,
                supported=s.verdict.supported,
                status=s.verdict.status,
                problems=s.verdict.problems,
                citations=citation_checks(s.verdict.citations),
                asked_model=s.id not in not_asked,
                allowance_tokens=s.allowance,
            )
            for s in draft.sections
        ],
        sources=[
            AnswerSource(
                n=i, id=c.id, document=c.document, page=c.page, section=c.section, text=c.text
            )
            for i, c in enumerate(draft.sources, 1)
        ],
        markdown=render_markdown(draft, prepared.language),
    )
    if not calls:  # no source, or none for any part: no model call recorded the request
        await run_in_threadpool(record_access, request, principal, 200, "allowed")
    return written


async def _within_allowance(
    request: Request,
    principal: Principal | None,
    messages: list[dict],
    room: int,
    most: int | None,
    parts: int,
) -> tuple[str, int, int | None]:
    """The model's text for a part of up to `room` answer tokens (and at most `most`, what the
    daily token allowance held for each part before), the answer tokens it was asked for,
    and what the allowance holds for each part after it. Where the allowance refuses, asked
    again for the answer it holds for each of the `parts` left (`allowance.shorter_answer`),
    until it is taken; the refusal is raised where not even the shortest useful answer fits,
    or where a shorter answer reserves no fewer tokens (an engine that cannot count them)."""
    from gemeingut.apps.assistants.allowance import shorter_answer

    asked = room if most is None else min(room, most)
    before: int | None = None  # the tokens the last refusal said this part needs
    while True:
        try:
            text, _usage = await ask_served_model(request, principal, messages, asked, "subject")
            return text, asked, most
        except APIError as refused:
            quota = _tokens_refused(refused)
            if quota is None or quota["requested"] == before:
                raise
            shorter = shorter_answer(quota, asked, parts)
            if shorter is None:
                raise
            asked = most = shorter
            before = quota["requested"]


def _tokens_refused(error: APIError) -> Mapping[str, Any] | None:
    """The facts of a refusal by the daily token allowance (`gate.quota_refused`), or None."""
    if error.status != 429 or error.param != "tokens_per_day" or not error.facts:
        return None
    return error.facts.get("quota")


def _last_record() -> tuple[str, int] | None:
    """This request's last audit record, its id and status (None without a gateway)."""
    trail = TRAIL.get()
    if trail is None or trail.request_id is None or trail.status is None:
        return None
    return trail.request_id, trail.status
