"""`POST /v1/collections/{name}/answer`: an answer from the served model with checked citations.

The best chunks of a collection the caller may see are numbered [1]…[k] (as many as the
model's context holds with room for the answer), the model is asked to cite them, and every
citation of its answer is checked (`apps.rag.cite`): the number names a source, the page is
right, a quoted passage is in that source. The model call is a model call like any other:
policy screening, key scope, quota, queue and audit record. When no chunk matches, the model
is not asked and the answer says there is no evidence. The policy screens the question, the
caller's own words (a refusal names `question`); the passages beside it are the collection's,
sent as it holds them (`screening`): a quote of them is checked against the text the model
read. Where the caller's daily token allowance does not hold the answer's `max_tokens`, it is
asked again with the answer the allowance still holds (`apps.assistants.allowance`, read from
the quota's own refusal, as for the assistants' drafts), and the response says it is shorter
(`allowance_tokens`, `note`).
The answer is written by the model the request names (`model`, as a chat names it), else by
the first model that writes text and that the caller's key may use (`writers.writing_model`).
The sources are searched as `/search` searches (`collections.searched`): an embedding model
that fails is the server's 502 or 503, not a 400 of the question. An answer handed back
(`given`, as the page does after a language switch) is checked again in the request's
language without asking the model or searching; the response marks its text as the caller's
(`given`, `asked_model` false): a client can hand in any text with any chunk ids. A question
longer than the embedding model reads is said to be (`question_cut`, `note`), as by `/search`,
and handed back with the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.rag.answer import answer_shortened
from gemeingut.i18n import _, quoted, text
from gemeingut.serve.backends import Backend, RequestRejected, SamplingParams, Tokenizing
from gemeingut.serve.collections import (
    CUT_HELP,
    ChunkSource,
    Collections,
    QuestionCut,
    searched_and_cut,
    visible_collection,
)
from gemeingut.serve.gateway.gate import CallerDep, admit, note_model, record_access, refusing
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import Count, ErrorResponse, Usage
from gemeingut.serve.screening import screen_fields
from gemeingut.serve.served import ServedModel
from gemeingut.serve.work import answered, rejections_as_400
from gemeingut.serve.writers import writing_model

if TYPE_CHECKING:
    from gemeingut.apps.rag.cite import Citation, Verdict
    from gemeingut.apps.rag.collection import Collection
    from gemeingut.apps.rag.fitting import Fitted
    from gemeingut.apps.rag.storage import StoredChunk

answers_router = APIRouter()


class GivenAnswer(BaseModel):
    """An answer this route gave before, handed back to be said again in the request's
    language: its citations are checked anew (their problems are the server's words), the
    model is not asked again."""

    model_config = ConfigDict(extra="forbid")

    answer: str | None = Field(
        max_length=100_000,
        description="The answer as written; null where none was (no source matched).",
    )
    sources: list[str] = Field(
        default=[], max_length=20, description="The ids of its sources, in the order cited."
    )
    allowance_tokens: Count | None = None
    question_cut: QuestionCut | None = Field(
        default=None, description="What the search read of the question (said again)."
    )


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)
    k: Count = Field(default=5, ge=1, le=20, description="Sources to offer the model at most.")
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    max_tokens: Count = Field(default=400, ge=1, le=4096)
    model: str | None = Field(
        default=None,
        min_length=1,
        description="The model that writes the answer: one that writes text (capability "
        "`completion`) and that the key may use. Default: the first such model.",
    )
    given: GivenAnswer | None = Field(
        default=None,
        description="An answer given before (by `model`): said again in this request's "
        "language, its citations checked again, without asking the model or searching.",
    )


class AnswerSource(ChunkSource):
    n: int = Field(description="The number the answer cites it by.")


def answer_sources(chunks: list[StoredChunk]) -> list[AnswerSource]:
    """The sources an answer or a draft cites, numbered [1]…[k] as the model read them."""
    return [AnswerSource.of(chunk, n=n) for n, chunk in enumerate(chunks, 1)]


class CitationCheck(BaseModel):
    source: int
    page: int | str | None = Field(description='A number, or a roman numeral ("iv").')
    last_page: int | str | None = Field(
        default=None, description="The last page of a cited range (`page` for one page)."
    )
    quote: str | None
    problem: str | None = Field(description="unknown_source, wrong_page, no_pages, …; null: holds")
    message: str | None
    start: int = Field(
        description="Where the marker (`[1, S. 4]`) starts in the text, in characters."
    )
    end: int = Field(description="Where the marker ends: the place after its `]`.")
    number_start: int | None = Field(
        default=None,
        description="Where this source's number stands in the marker (of `[1, 3]`: the 3); "
        "null where the marker does not write it (the 2 of `[1–3]`).",
    )
    number_end: int | None = None


Status = Literal["supported", "not_checked", "unsupported", "no_citation"]
STATUS_HELP = (
    "supported; not_checked: a citation quotes nothing that could be checked; "
    "unsupported: a citation is wrong or unreadable; no_citation: the text cites nothing"
)


def citation_checks(citations: list[Citation]) -> list[CitationCheck]:
    """The checked citations with their places in the text, so that a client makes each marker
    (or each number of a marker naming several sources) a link without reading markers again."""
    return [CitationCheck.model_validate(c, from_attributes=True) for c in citations]


class CollectionAnswer(BaseModel):
    object: Literal["collection.answer"] = "collection.answer"
    collection: str
    model: str = Field(description="The model that wrote the answer (or would have).")
    answer: str
    asked_model: bool = Field(
        description="Whether this request asked the model: false where no source matched, and "
        "for an answer handed back (`given`)."
    )
    given: bool = Field(
        default=False,
        description="The answer is the text the request handed back (`given`), its citations "
        "checked now: nothing here says that `model` wrote it.",
    )
    supported: bool = Field(description="At least one citation, and every citation holds.")
    status: Status = Field(description=STATUS_HELP)
    problems: list[str]
    citations: list[CitationCheck]
    sources: list[AnswerSource]
    usage: Usage | None = None
    allowance_tokens: int | None = Field(
        default=None,
        description="Where the daily token allowance held fewer answer tokens than asked for: "
        "those it held (the answer is shorter, and may end early); null otherwise.",
    )
    question_cut: QuestionCut | None = Field(default=None, description=CUT_HELP)
    note: str | None = Field(
        default=None,
        description="That the answer is shorter, and why; that the question was cut.",
    )


@answers_router.post(
    "/v1/collections/{name}/answer",
    response_model=CollectionAnswer,
    responses={
        400: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse, "description": "The collection cannot be searched now."},
        502: {"model": ErrorResponse, "description": "The collection's embedding model failed."},
        503: {"model": ErrorResponse, "description": "Its embedding model is busy or at a limit."},
    },
)
async def answer_from_collection(
    name: str,
    body: AnswerRequest,
    request: Request,
    collections: Collections,
    principal: CallerDep,
) -> CollectionAnswer:
    """Answer `question` from the collection's documents, citations checked."""
    from gemeingut.apps.rag.answer import fit_question, messages_for
    from gemeingut.apps.rag.cite import check_citations
    from gemeingut.errors import InputError

    writer = writing_model(request, body.model, principal)  # before the collection is searched
    language = request_language(request)
    collection = await run_in_threadpool(visible_collection, request, principal, collections, name)
    if body.given is not None:
        again = await run_in_threadpool(
            _given_again, request, principal, body, collection, writer.name, language
        )
        await run_in_threadpool(record_access, request, principal, 200, "allowed")
        return again

    question, decision = await screened_words(
        request, principal, writer, [("question", body.question)]
    )
    cut: QuestionCut | None = None

    def sources_that_fit() -> Fitted | None:
        nonlocal cut
        hits, cut = searched_and_cut(
            request, principal, collection, body.question, body.k, body.mode
        )
        found = [collection.chunks[h.row] for h in hits]
        if not found:
            return None
        count = counter(writer.backend)
        return fit_question(question[0], found, language, body.max_tokens, count)

    try:
        fitted = await run_in_threadpool(sources_that_fit)
    except InputError as error:
        said = APIError(400, error.message, param="question", code="context_length_exceeded")
        raise refusing(said) from None
    except RequestRejected as rejected:  # a model without a chat template
        raise APIError(400, rejected.message, param="question", code=rejected.code) from None
    if fitted is None:
        await run_in_threadpool(record_access, request, principal, 200, "allowed")
        return _no_evidence(name, writer.name, language, cut)
    sources = fitted.sources  # whole: cited and checked; the model reads `shown`
    messages = messages_for(question[0], fitted.shown, language)
    said, usage, asked, _most = await ask_within_allowance(
        request, principal, writer, messages, fitted.room, None, 1, "question", decision
    )
    shortened = asked if asked < fitted.room else None
    verdict = await run_in_threadpool(check_citations, said, sources, language)
    return _checked(
        name, writer.name, said, sources, verdict, shortened, cut, language, usage=usage
    )


def _checked(
    name: str,
    model: str,
    said: str,
    sources: list[StoredChunk],
    verdict: Verdict,
    shortened: int | None,
    cut: QuestionCut | None,
    language: str,
    usage: Usage | None = None,
) -> CollectionAnswer:
    """An answer and its citations' `verdict` against `sources`: the model's (with its
    `usage`) or, without one, the text the request handed back (`given`)."""
    return CollectionAnswer(
        collection=name,
        model=model,
        answer=said,
        asked_model=usage is not None,
        given=usage is None,
        supported=verdict.supported,
        status=verdict.status,
        problems=verdict.problems,
        citations=citation_checks(verdict.citations),
        sources=answer_sources(sources),
        usage=usage,
        allowance_tokens=shortened,
        question_cut=cut,
        note=_note(shortened, cut, language),
    )


def _note(shortened: int | None, cut: QuestionCut | None, language: str) -> str | None:
    """What the person should know of the answer beside its text, in sentences: that it is
    shorter than planned (the allowance), that the search read only the question's start."""
    said = [answer_shortened(shortened)] if shortened is not None else []
    said += [cut.said()] if cut is not None else []
    return " ".join(text(one, language) for one in said) or None


def _no_evidence(name: str, model: str, language: str, cut: QuestionCut | None) -> CollectionAnswer:
    """No source matched: the model was not asked, and the answer says there is no evidence."""
    from gemeingut.apps.rag.answer import NO_EVIDENCE
    from gemeingut.apps.rag.cite import check_citations

    verdict = check_citations("", [], language)
    return CollectionAnswer(
        collection=name,
        model=model,
        answer=NO_EVIDENCE.get(language, NO_EVIDENCE["de"]),
        asked_model=False,
        supported=False,
        status=verdict.status,
        problems=verdict.problems,
        citations=[],
        sources=[],
        question_cut=cut,
        note=_note(None, cut, language),
    )


def _given_again(
    request: Request,
    principal: Principal | None,
    body: AnswerRequest,
    collection: Collection,
    model: str,
    language: str,
) -> CollectionAnswer:
    """An answer given before (`body.given`), in `language`: its citations checked against
    its sources as the collection holds them now (an audited 409 where one is gone: the
    collection was ingested anew, and the answer must be asked for again). Its text is the
    caller's: the response says so (`given`), never that the model wrote it; its sources are
    chunks of a collection the caller may read (`visible_collection`), as a search shows them.
    What it says of the question's cut must fit the question (an audited 400)."""
    from gemeingut.apps.rag.cite import check_citations

    given = body.given
    assert given is not None
    _refuse_a_cut_not_of(request, principal, given.question_cut, body.question)
    if given.answer is None:
        return _no_evidence(collection.name, model, language, given.question_cut)
    held = {chunk.id: chunk for chunk in collection.chunks}
    gone = [source for source in given.sources if source not in held]
    if gone:
        record_access(request, principal, 409, "source_gone")
        said = _(
            "a source of the answer, {id}, is no longer in the collection: ask the question again",
            id=quoted(gone[:1]),
        )
        raise APIError(409, said, param="given.sources", code="source_gone")
    sources = [held[source] for source in given.sources]
    verdict = check_citations(given.answer, sources, language)
    return _checked(
        collection.name,
        model,
        given.answer,
        sources,
        verdict,
        given.allowance_tokens,
        given.question_cut,
        language,
    )


def _refuse_a_cut_not_of(
    request: Request, principal: Principal | None, cut: QuestionCut | None, question: str
) -> None:
    """A 400 where a handed-back `question_cut` cannot be the question's: the characters it
    says the question has are not its own, or more were read than it has. The answer would
    say it as the server's word."""
    if cut is None or (cut.length == len(question) and cut.kept <= cut.length):
        return
    record_access(request, principal, 400, "invalid_request")
    said = _(
        "given.question_cut says the search read {kept} of {length} characters, but the "
        "question has {characters}: hand it back as the answer gave it, or leave it out",
        kept=cut.kept,
        length=cut.length,
        characters=len(question),
    )
    raise APIError(400, said, param="given.question_cut", code="invalid_value")


async def ask_within_allowance(
    request: Request,
    principal: Principal | None,
    writer: ServedModel,
    messages: list[dict],
    room: int,
    most: int | None,
    parts: int,
    param: str,
    decision: str,
) -> tuple[str, Usage, int, int | None]:
    """The model's text and usage for an answer of up to `room` tokens (and at most `most`,
    what the daily token allowance held for each part before), the answer tokens it was asked
    for, and what the allowance holds for each part after it. Where the allowance refuses,
    asked again for the answer it holds for each of the `parts` left (`allowance.shorter_answer`),
    until it is taken; the refusal is raised where not even the shortest useful answer fits,
    or where a shorter answer reserves no fewer tokens (an engine that cannot count them).
    `decision`: the policy's on the person's words in `messages` (`screened_words`)."""
    from gemeingut.apps.assistants.allowance import shorter_answer

    asked = room if most is None else min(room, most)
    before: int | None = None  # the tokens the last refusal said this part needs
    while True:
        try:
            said, usage = await ask_served_model(
                request, principal, writer, messages, asked, param, decision
            )
            return said, usage, asked, most
        except APIError as refused:
            quota = tokens_refused(refused)
            if quota is None or quota["requested"] == before:
                raise
            shorter = shorter_answer(quota, asked, parts)
            if shorter is None:
                raise
            asked = most = shorter
            before = quota["requested"]


def tokens_refused(error: APIError) -> Mapping[str, Any] | None:
    """The facts of a refusal by the daily token allowance (`gate.quota_refused`), or None."""
    if error.status != 429 or error.param != "tokens_per_day" or not error.facts:
        return None
    return error.facts.get("quota")


async def ask_served_model(
    request: Request,
    principal: Principal | None,
    writer: ServedModel,
    messages: list[dict],
    max_tokens: int,
    param: str,
    decision: str,
) -> tuple[str, Usage]:
    """The `writer`'s greedy answer to `messages`, as a model call like any other: key scope,
    quota, queue and audit record (with `decision`, the policy's on the person's words in
    them, screened before: `screened_words`). The messages are sent as they are: the sources
    in them are the collection's text, which the answer's citations are checked against."""
    backend = writer.backend
    note_model(backend.model_name)  # its record and /metrics name the model that answered
    request_id = f"rag-{uuid.uuid4().hex}"
    prompt = await rejections_as_400(backend.apply_chat_template, messages, param=param)
    params = SamplingParams(max_tokens=max_tokens, temperature=0.0)
    admission = await admit(
        request, principal, backend, [prompt], params, 1, False, param, request_id, decision,
        messages,
    )  # fmt: skip
    queue = writer.queue
    results, usage = await answered(request, queue, admission, backend, [prompt], params, 1, param)
    return results[0].text, usage


async def screened_words(
    request: Request,
    principal: Principal | None,
    writer: ServedModel,
    fields: list[tuple[str, str]],
) -> tuple[list[str], str]:
    """The person's own words, (field, text) as the request has them, as the policy lets the
    model see them, and its decision for each model call's record: a refusal (an audited 400)
    names the field. Not the collection's passages: they are not the person's input."""
    request_id = f"rag-{uuid.uuid4().hex}"  # a refusal's record and error name it
    return await run_in_threadpool(
        screen_fields, request, principal, request_id, fields, writer.backend.model_name
    )


def counter(backend: Backend):
    """(tokens, context) of a conversation for this backend, or None if it cannot count."""
    if not isinstance(backend, Tokenizing):
        return lambda messages: None
    context = backend.tokenizer_info().get("model_max_length")

    def count(messages: list[dict]) -> tuple[int, int] | None:
        if not context:
            return None
        prompt = backend.apply_chat_template(messages)
        return len(backend.tokenize(prompt, add_special_tokens=False)), int(context)

    return count
