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
holds no longer are not written, each saying why. Any other refusal of a section
(`KEEPS_WRITTEN`: a requests-per-minute limit's 429, a full queue's 503, a failed engine's
502, and a 400 of that section's own model call: its prompt longer than the model's context,
or refused by the engine) likewise keeps the sections written, as `assist
vermerk` keeps them: the draft is answered with 200, the sections not written name the
refusal, `missing` lists them and `retry_after` says when to ask for them (null where waiting
does not help). A client asks for them alone (`sections`) and hands the sections it has back
(`given`): each section is written from the sources alone, never from another section, so a
limit smaller than a draft's sections still completes it, a request at a time. Asking for
none (`sections: []`) says a draft again in the request's language without a model call (the
page, on a language switch): the sections neither given nor a key point's without a source
are said as not written and listed in `missing`. Only where the
first section a request asks for is refused is the draft refused, with that refusal. The
draft is written by the model the request names (`model`, as a chat names it; a client asking
for missing sections names the same), else by the first model that writes text and that the
caller's key may use (`writers.writing_model`): not an encoder served first. The policy
screens the fields the person typed (subject, audience, occasion, key points) once, before the
collection is searched: a refusal names the field and writes nothing; the sources beside them
are the collection's, sent as it holds them (`screening`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import Message, _
from gemeingut.serve.collection_answers import (
    STATUS_HELP,
    AnswerSource,
    CitationCheck,
    Status,
    answer_sources,
    ask_within_allowance,
    citation_checks,
    counter,
    screened_words,
    tokens_refused,
)
from gemeingut.serve.collections import Collections, searched, visible_collection
from gemeingut.serve.gateway.gate import TRAIL, CallerDep, record_access, recorded, refusing
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import Count, ErrorResponse
from gemeingut.serve.served import ServedModel
from gemeingut.serve.writers import writing_model

if TYPE_CHECKING:
    from gemeingut.apps.assistants.drafts import (
        DraftRequest,
        DraftSection,
        Prepared,
        SectionPlan,
    )
    from gemeingut.apps.rag.fitting import Count
    from gemeingut.apps.rag.readers import Passage
    from gemeingut.apps.rag.retrieve import Hit
    from gemeingut.errors import InputError
    from gemeingut.serve.gateway.identity import Principal

assist_router = APIRouter()
MAX_DRAFT_CHARS = 500_000  # as a pasted draft
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_POINTS = 10  # a speech's key points
MAX_SECTIONS = MAX_POINTS + 2  # a speech's: its opening, a part per key point, its closing
MAX_SECTION_CHARS = 50_000  # a section handed back: far more than a model's answer
# Refusals of a section after which the sections written are kept: a limit, a failed engine,
# a full queue or a database gone for a moment (each with Retry-After), and a 400 of the
# section's own model call (its prompt longer than the model's context, or refused by the
# engine: the request's fields, the policy's screening among them, are checked before the
# first section is written, and the sections before it are no less written). Any other (a
# client gone) is answered as it is.
KEEPS_WRITTEN = frozenset({400, 429, 502, 503})
# Why a section is missing from a draft that asked for none (`sections: []`)
NOT_ASKED = _("Not written yet: ask for the missing parts to write it.")


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
    source: str = Field(description="The legal source as the answer's language cites it.")
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
    line: int | None = Field(
        default=None, description="The file's line the passage starts on (a text file)."
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
        said = _("send the draft as text or as a file, one of them")
        raise APIError(400, said, param="text", code="exactly_one_required")
    if body.file is not None:
        paragraphs = await run_in_threadpool(_read_file, body.file)
    else:
        assert body.text is not None
        paragraphs = [Passage(part) for part in body.text.split("\n\n") if part.strip()]
        if not paragraphs:
            raise APIError(400, _("no text found"), param="text", code="no_text")
    rules = request.app.state.tender_rules
    if rules is None:
        rules = await run_in_threadpool(load_rules)
    # pasted text: its line breaks are the writer's, a file's a reader's (`tender.py`)
    typed = body.file is None
    found = await run_in_threadpool(check_passages, paragraphs, rules, language, typed)
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
        raise APIError(400, error.message, param="file", code="unsupported_file_format") from None
    except binascii.Error:
        raise APIError(
            400, _("file.data is not base64"), param="file", code="invalid_base64"
        ) from None
    if suffix in (".docx", ".odt") and _unpacked_size(content) > MAX_UNPACKED_BYTES:
        said = _("{name}: unpacks to too much data", name=name)
        raise APIError(400, said, param="file", code="file_too_large")
    with tempfile.TemporaryDirectory(prefix="gemeingut-tender-") as folder:
        path = Path(folder) / f"draft{suffix}"
        path.write_bytes(content)
        try:
            passages = read_document(path)
        except InputError as error:
            raise APIError(
                400, _reason(error, path, name), param="file", code="unreadable_file"
            ) from error
    if not passages:
        raise APIError(400, _("{name}: no text found", name=name), param="file", code="no_text")
    if sum(len(p.text) for p in passages) > MAX_DRAFT_CHARS:
        said = _("{name}: more text than a tender draft", name=name)
        raise APIError(400, said, param="file", code="text_too_long")
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


class GivenSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, description="The section's id.")
    text: str = Field(min_length=1, max_length=MAX_SECTION_CHARS, description="Its text.")
    allowance_tokens: Count | None = Field(
        default=None,
        ge=1,
        description="As the response that wrote it said: the daily token allowance held only "
        "these answer tokens for it (it is shorter than planned).",
    )


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["vermerk", "rede"]
    collection: str = Field(min_length=1, description="The collection to write from.")
    subject: str = Field(min_length=1, max_length=500)
    audience: str = Field(default="", max_length=200, description="Rede: who listens.")
    occasion: str = Field(default="", max_length=200, description="Rede: the occasion.")
    minutes: Count = Field(default=5, ge=1, le=60, description="Rede: its length.")
    points: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=MAX_POINTS, description="Rede: key points."
    )
    k: Count = Field(
        default=6,
        ge=1,
        le=20,
        description="Sources to offer the model at most (a speech: at least one per key point).",
    )
    model: str | None = Field(
        default=None,
        min_length=1,
        description="The model that writes the draft: one that writes text (capability "
        "`completion`) and that the key may use. Default: the first such model.",
    )
    sections: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None,
        max_length=MAX_SECTIONS,
        description="The sections to write, by their ids (as a response's `sections[].id` and "
        "`missing` name them: `sachverhalt`, `bewertung`, `vorschlag`; `einstieg`, `punkt-1` …, "
        "`schluss`); null: every section not `given`. A section neither written nor given is "
        "left out of the response; `[]`: none is written, and each not given is said as not "
        "written and listed in `missing` (in the request's language: a draft said again in "
        "another one, no model asked).",
    )
    given: list[GivenSection] = Field(
        default_factory=list,
        max_length=MAX_SECTIONS,
        description="Sections written before (by an earlier response of the same request), "
        "kept as they are: the response holds them in their place, their citations checked "
        "again against the sources found now. The model does not read them: each section is "
        "written from the sources alone. One whose text says it was not written (as a "
        "`missing` section's does) is not kept: it is written like a section not given.",
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
        description="Whether the model wrote this section (in this request, or before: "
        "`given`); false for a key point none of whose sources is left, and for a section "
        "refused (`missing`; the daily token allowance's: `allowance_tokens` 0): its "
        "text says it is not written and its `problems` say why.",
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
    model: str = Field(description="The model that wrote the draft (or would have).")
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
    missing: list[str] = Field(
        default_factory=list,
        description="The ids of the sections a limit (429), a full queue (503), a failed "
        "engine (502) or a refusal of the section's own model call (400: its prompt too long "
        "for the model's context, or refused by the engine) refused after others "
        "were written (the response is a 200 all the same, with the sections written): each "
        "says it is not written and why. Ask for them again after `retry_after` seconds, with "
        "the sections written handed back as `given`.",
    )
    retry_after: int | None = Field(
        default=None,
        description="Where sections are `missing`: the seconds after which what refused them "
        "may hold them (the refusal's Retry-After); null where waiting does not help (a limit "
        "of 0: ask the administrator; a 400) or nothing is missing.",
    )


@assist_router.post(
    "/v1/assist/draft",
    response_model=DraftOut,
    responses={
        200: {
            "description": "The draft; also where a limit, a full queue, a failed engine or a "
            "refusal of a section's model call refused sections after the first (`missing`, "
            "`retry_after`)."
        },
        400: {
            "model": ErrorResponse,
            "description": "The request is wrong, a field the person typed is refused by the "
            "policy (`param` names it), or the first section's model call was refused (its "
            "prompt too long): nothing was written.",
        },
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse, "description": "The collection cannot be searched now."},
        429: {
            "model": ErrorResponse,
            "description": "A limit refused the first section to write: nothing was written.",
        },
        502: {
            "model": ErrorResponse,
            "description": "The engine failed at the first section, or the collection's "
            "embedding model at the search: nothing was written.",
        },
        503: {
            "model": ErrorResponse,
            "description": "The queue was full at the first section, or the collection's "
            "embedding model busy or at a limit: nothing was written.",
        },
    },
)
async def write_draft_route(
    body: DraftBody, request: Request, principal: CallerDep, collections: Collections
) -> DraftOut:
    """A memo or speech from a collection the caller may see: one model call per section
    (each admitted, counted and audited like a completion: one record each), each section's
    citations checked; a draft that asked no model has one record of its own. A limit, a full
    queue, a failed engine or a 400 of its model call that refuses a section after one is
    written ends the writing, not the draft: a 200 with the sections written and `missing`."""
    from gemeingut.apps.assistants.blank_fields import BlankField, check_request
    from gemeingut.apps.assistants.drafts import (
        DraftRequest,
        no_evidence,
        plan_sections,
        prepare,
        render_markdown,
        says_not_written,
    )
    from gemeingut.errors import InputError

    language = request_language(request)
    wanted = DraftRequest(
        body.kind, body.subject, body.audience, body.occasion, body.minutes, tuple(body.points)
    )
    try:  # a blank subject, audience, occasion or key point: before a collection is opened
        check_request(wanted)
    except BlankField as blank:
        raise APIError(400, blank.message, param=blank.field, code="blank_value") from None
    # A section handed back that says it is not written is none written: it is written again.
    given = {part.id: part for part in body.given if not says_not_written(part.text)}
    asked = _asked_for(body, [plan.id for plan in plan_sections(wanted)], given)
    writer = writing_model(request, body.model, principal)  # before the collection is searched
    collection = await run_in_threadpool(
        visible_collection, request, principal, collections, body.collection
    )
    wanted, decision = await _screened_request(request, principal, writer, wanted)
    count = counter(writer.backend)

    def find(query: str, k: int) -> list[Hit]:  # as /search: its encoder's failure a 502 or 503
        return searched(request, principal, collection, query, k, "hybrid")

    try:
        prepared = await run_in_threadpool(
            prepare, collection, wanted, count, language, body.k, "hybrid", find
        )
    except InputError as error:  # no subject, or not even one source fits the context
        said = APIError(400, error.message, param="subject", code="context_length_exceeded")
        raise refusing(said) from None
    written = _Written()
    if not prepared.sources:
        draft = no_evidence(wanted, prepared)
    else:
        await _write_sections(
            request,
            principal,
            writer,
            wanted,
            prepared,
            asked,
            given,
            count,
            written,
            decision,
            say_rest=body.sections == [],
        )
        draft = prepared.draft(wanted.kind, written.sections)
    answer = DraftOut(
        kind=draft.kind,
        title=draft.title,
        model=writer.name,
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
                asked_model=s.id not in written.not_asked,
                allowance_tokens=s.allowance,
            )
            for s in draft.sections
        ],
        sources=answer_sources(draft.sources),
        markdown=render_markdown(draft, prepared.language),
        missing=written.missing,
        retry_after=written.retry_after,
    )
    if not written.calls:  # no source, none for any part, or all given: no model call recorded
        await run_in_threadpool(record_access, request, principal, 200, "allowed")
    return answer


async def _screened_request(
    request: Request, principal: Principal | None, writer: ServedModel, wanted: DraftRequest
) -> tuple[DraftRequest, str]:
    """The draft's request with the person's words as the policy lets the model see them
    (searched, planned and written from those), and the policy's decision for each section's
    record; a refusal names the field it found its words in."""
    fields = [
        ("subject", wanted.subject),
        ("audience", wanted.audience),
        ("occasion", wanted.occasion),
        *(("points", point) for point in wanted.points),
    ]
    texts, decision = await screened_words(request, principal, writer, fields)
    subject, audience, occasion, *points = texts
    screened = replace(
        wanted, subject=subject, audience=audience, occasion=occasion, points=tuple(points)
    )
    return screened, decision


def _asked_for(body: DraftBody, known: list[str], given: Mapping[str, GivenSection]) -> set[str]:
    """The ids of the sections to write: those `sections` names, else every one not given;
    a 400 for an id the draft has no section of, one named twice, or one both to write and
    given."""
    for param, ids in (("sections", body.sections or []), ("given", [g.id for g in body.given])):
        for n, section in enumerate(ids):
            if section not in known:
                said = _(
                    "{param}: this draft has no section {id!r}; its sections are {known}",
                    param=param,
                    id=section,
                    known=", ".join(known),
                )
                raise APIError(400, said, param=param, code="invalid_value")
            if section in ids[:n]:
                said = _("{param}: the section {id!r} is named twice", param=param, id=section)
                raise APIError(400, said, param=param, code="duplicate_value")
    if body.sections is None:
        return set(known) - set(given)
    for section in body.sections:
        if section in given:
            said = _("the section {id!r} is both to be written (sections) and given", id=section)
            raise APIError(400, said, param="sections", code="conflicting_values")
    return set(body.sections)


class _Written:
    """What `_write_sections` wrote: the sections in the draft's order, and of them those the
    model did not write now, those refused (a limit, a full queue, a failed engine), when to
    ask for them, and the calls."""

    def __init__(self) -> None:
        self.sections: list[DraftSection] = []
        self.not_asked: set[str] = set()  # key points without a source, sections refused
        self.missing: list[str] = []  # refused after a section was written
        self.retry_after: int | None = None
        self.calls = 0  # model calls, each recorded by its admission

    def refused(self, section: DraftSection) -> None:
        """A section refused: not written now, and missing."""
        self.sections.append(section)
        self.not_asked.add(section.id)
        self.missing.append(section.id)


async def _write_sections(
    request: Request,
    principal: Principal | None,
    writer: ServedModel,
    wanted: DraftRequest,
    prepared: Prepared,
    asked: set[str],
    given: Mapping[str, GivenSection],
    count: Count,
    written: _Written,
    decision: str,
    *,
    say_rest: bool = False,
) -> None:
    """The sections asked for, written by the model one by one, and those given, in the
    draft's order. Each is asked at its planned length while the daily token allowance holds
    it (then shorter: `ask_within_allowance`); once one is refused (`KEEPS_WRITTEN`) after a
    section was written, it and the rest are not written and say why. A refusal of the first
    is raised. `say_rest`: the sections neither asked for nor given are in the draft too, as
    not written (`missing`), not left out. `decision`: the policy's on the request's fields."""
    from gemeingut.apps.assistants.drafts import (
        checked_section,
        not_written,
        room_for,
        section_messages,
    )

    to_write = sum(plan.id in asked and prepared.unsourced(plan) is None for plan in prepared.plans)
    most: int | None = None  # the answer tokens the daily allowance holds for each part
    stopped: APIError | None = None  # what refused a section: the rest wait
    last_record: tuple[str, int] | None = None  # of the last part written
    for plan in prepared.plans:
        if plan.id in given:
            part = given[plan.id]
            section = await run_in_threadpool(
                checked_section, plan, part.text, prepared, part.allowance_tokens
            )
            written.sections.append(section)
            continue
        if plan.id not in asked and not say_rest:
            continue
        unsourced = prepared.unsourced(plan)  # a key point without a source: not asked
        if unsourced is not None:
            written.sections.append(unsourced)
            written.not_asked.add(plan.id)
            continue
        if plan.id not in asked:  # not asked for: missing, to be asked for
            written.refused(not_written(plan, prepared, NOT_ASKED))
            continue
        if stopped is not None:  # an earlier section was refused: not asked
            written.refused(_refused_part(plan, prepared, stopped))
            continue
        messages = section_messages(wanted, plan, prepared.shown, prepared.language)
        room = await run_in_threadpool(room_for, messages, plan.max_tokens, count)
        try:
            text, _usage, tokens, most = await ask_within_allowance(
                request,
                principal,
                writer,
                messages,
                room,
                most,
                to_write - written.calls,
                "subject",
                decision,
            )
        except APIError as refused:
            if not written.calls or refused.status not in KEEPS_WRITTEN:
                raise  # nothing written yet, or a client gone: as for any request
            # The parts written stand; the response's status is their record's, not the
            # refusal's (which stays in the log as the 429 or 400 it was).
            if last_record is not None:
                recorded(*last_record)
            stopped = refused
            written.retry_after = _retry_after(refused)
            written.refused(_refused_part(plan, prepared, refused))
            continue
        written.calls += 1
        last_record = _last_record()
        shortened = tokens if tokens < room else None
        written.sections.append(checked_section(plan, text, prepared, shortened))


def _refused_part(plan: SectionPlan, prepared: Prepared, refused: APIError) -> DraftSection:
    """A section refused (or one after it): not written, and why. The daily token
    allowance's in its own words (`allowance_tokens` 0); any other refusal's in its own."""
    from gemeingut.apps.assistants.drafts import beyond_allowance, cut_short

    if tokens_refused(refused) is not None:
        return beyond_allowance(plan, prepared)
    return cut_short(plan, prepared, refused.message)


def _retry_after(refused: APIError) -> int | None:
    """A refusal's Retry-After in seconds; None where it says that waiting does not help."""
    headers = refused.headers or {}
    if headers.get("x-should-retry") == "false" or "Retry-After" not in headers:
        return None
    return int(headers["Retry-After"])


def _last_record() -> tuple[str, int] | None:
    """This request's last audit record, its id and status (None without a gateway)."""
    trail = TRAIL.get()
    if trail is None or trail.request_id is None or trail.status is None:
        return None
    return trail.request_id, trail.status
