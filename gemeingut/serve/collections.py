"""`/v1/collections`: the document collections a caller's groups own, and search in them.

A collection (made with `gemeingut rag ingest --group …`) is listed and searchable only for
keys of users in one of its groups; for any other key it does not exist (404, so that its name
is not disclosed either). A server without `--db` has no identities: on loopback it is one
person's, who sees every collection. Each search is audited like a model call (who, route,
status; never the question). Dense search uses the served model when the collection's vectors
are from it, else the embedder the collection recorded; a question longer than that model
reads is searched by its start, and the response says how much of it (`question_cut`).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.rag.collection import embedder_spec
from gemeingut.apps.rag.cuts import noting_cuts, question_cut_said, question_read
from gemeingut.apps.rag.embedders import EmbedderFailed, LocalEmbedder, OpenedOnFirstUse
from gemeingut.apps.rag.ocr_cache import ScanCache
from gemeingut.apps.rag.page_image import is_pdf, passage_boxes
from gemeingut.apps.rag.prompted import question_text
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.i18n.visible import visible
from gemeingut.serve.backends import Backend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.backends.transformers import TransformersBackend
from gemeingut.serve.embedding_failure import embedding_failed
from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.request_id import REQUEST_ID
from gemeingut.serve.schemas import Count, ErrorResponse

if TYPE_CHECKING:
    from typing import Self

    from gemeingut.apps.rag.retrieve import Hit, Mode
    from gemeingut.apps.rag.storage import StoredChunk

collections_router = APIRouter()
log = logging.getLogger("gemeingut.serve")
MAX_PASSAGE_CHARS = 8000  # of the passage a source's page is marked by (the page sends no more)
_LINES = re.compile(r"(?P<first>[1-9]\d{0,8})(?:\s*[-–]\s*(?P<last>[1-9]\d{0,8}))?")


class CollectionCard(BaseModel):
    id: str
    object: Literal["collection"] = "collection"
    documents: int
    chunks: int
    dense: bool = Field(description="Whether dense (and hybrid) search is available.")


class CollectionList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CollectionCard]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    k: Count = Field(default=5, ge=1, le=50)
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"


class ChunkSource(BaseModel):
    """A chunk as a client shows it and opens its source (`/source` with its page, section or
    lines): the fields of a search hit and of an answer's or a draft's source, made by `of`
    in one place, so that a field the chunk gains reaches every route."""

    id: str = Field(description="The chunk's id, stable across ingests.")
    document: str
    page: int | str | None = Field(description='As printed: its number, or its label ("iv").')
    section: str | None
    lines: tuple[int, int] | None = Field(
        default=None, description="A text file's first and last line the chunk spans."
    )
    text: str

    @classmethod
    def of(cls, chunk: StoredChunk, **fields: Any) -> Self:
        """The chunk's fields, with those of the route's own (a hit's rank, a source's n)."""
        where = {"id": chunk.id, "document": chunk.document, "page": chunk.page}
        where |= {"section": chunk.section, "lines": chunk.lines, "text": chunk.text}
        return cls(**where, **fields)


class SearchHit(ChunkSource):
    rank: int
    score: float
    scored_by: Literal["bm25", "dense", "rrf", "reranker"] = Field(
        description="What the score is: BM25's, the cosine of the vectors, the fused reciprocal "
        "ranks, or the reranker's. Scores of different kinds do not compare."
    )


class QuestionCut(BaseModel):
    """The question was longer than the collection's embedding model reads: the dense search
    read its start (`cuts.QuestionRead`; the search by words, where it searched, all of it)."""

    context: int = Field(ge=1, description="The tokens the embedding model reads.")
    kept: int = Field(ge=0, description="The question's characters it read, from its start.")
    length: int = Field(ge=1, description="The question's characters.")
    words_searched: bool = Field(
        description="Whether the search by words (BM25) searched too, with the whole question "
        "(mode hybrid)."
    )

    def said(self) -> Message:
        return question_cut_said(self.kept, self.length, self.words_searched)


CUT_HELP = "Where the dense search read only the question's start; null where it read all."


class SearchResponse(BaseModel):
    object: Literal["list"] = "list"
    collection: str
    data: list[SearchHit]
    question_cut: QuestionCut | None = Field(default=None, description=CUT_HELP)
    note: str | None = Field(default=None, description="That the question was cut, in words.")


class OpenCollections:
    """Collections under a folder, each opened once and again only after an ingest (its
    collection.json changed), shared by all requests. A collection whose vectors a model
    this server serves made (`served`, by name: the first model and those of `--also`) is
    embedded by it, not by a second copy loaded from the folder its record names."""

    def __init__(self, root: Path, served: dict[str, Backend]) -> None:
        self.root = root
        self.served = served
        self._opened: dict[str, tuple[int, object]] = {}
        self._embedders: dict[tuple[str, str], OpenedOnFirstUse] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        from gemeingut.apps.rag.index import list_collections

        return list_collections(self.root)

    def get(self, name: str):
        from gemeingut.apps.rag.index import COLLECTION_FILE, open_collection

        # Every write renames a new collection.json into place: a new inode, also where two
        # writes fall into one tick of the file system's clock.
        state = (self.root / name / COLLECTION_FILE).stat()
        stamp = (state.st_ino, state.st_mtime_ns, state.st_size)
        with self._lock:
            cached = self._opened.get(name)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            collection = open_collection(self.root, name)
            recorded = (collection.meta.get("embedder") or {}).get("model")
            served = self.served.get(recorded) if recorded is not None else None
            if isinstance(served, TransformersBackend | EncoderBackend):
                # a served model made the vectors: no second copy in memory
                collection.use_embedder(LocalEmbedder(served, recorded))
            elif recorded is not None:  # one copy for every version of every collection
                spec = embedder_spec(collection.meta)
                shared = self._embedders.setdefault(
                    (spec.source, recorded), OpenedOnFirstUse(spec, recorded)
                )
                collection.use_embedder(shared)
            self._opened[name] = (stamp, collection)
            return collection


def _collections(request: Request) -> OpenCollections:
    found = request.app.state.collections
    if found is None:
        said = _("this server has no document collections (serve --collections DIR)")
        raise APIError(404, said, code="collections_off")
    return found


Collections = Annotated[OpenCollections, Depends(_collections)]


@collections_router.get("/v1/collections", response_model=CollectionList)
async def list_visible(
    request: Request, collections: Collections, principal: CallerDep
) -> CollectionList:
    """The collections the caller's groups own."""

    def cards() -> list[CollectionCard]:
        visible = (collections.get(n) for n in collections.names())
        return [
            CollectionCard(
                id=c.name,
                documents=len(c.meta.get("documents", {})),
                chunks=c.size,
                dense=c.vectors is not None,
            )
            for c in visible
            if _may_see(request, principal, c)
        ]

    return CollectionList(data=await run_in_threadpool(cards))


@collections_router.post(
    "/v1/collections/{name}/search",
    response_model=SearchResponse,
    responses={
        404: {"model": ErrorResponse},
        400: {"model": ErrorResponse, "description": "A mode the collection cannot search in."},
        409: {"model": ErrorResponse},
        502: {"model": ErrorResponse, "description": "The collection's embedding model failed."},
        503: {"model": ErrorResponse, "description": "Its embedding model is busy or at a limit."},
    },
)
async def search_collection(
    name: str,
    body: SearchRequest,
    request: Request,
    collections: Collections,
    principal: CallerDep,
) -> SearchResponse:
    """The chunks that best answer `query`, best first, with document, page and section."""

    def run() -> SearchResponse:
        collection = visible_collection(request, principal, collections, name)
        hits, cut = searched_and_cut(request, principal, collection, body.query, body.k, body.mode)
        record_access(request, principal, 200, "allowed")
        return SearchResponse(
            collection=name,
            data=[
                SearchHit.of(collection.chunks[h.row], rank=i, score=h.score, scored_by=h.scored_by)
                for i, h in enumerate(hits, 1)
            ],
            question_cut=cut,
            note=None if cut is None else text(cut.said(), request_language(request)),
        )

    return await run_in_threadpool(run)


def searched(
    request: Request, principal: Principal | None, collection, query: str, k: int, mode: Mode
) -> list[Hit]:
    """The `k` best chunks for `query` (with the server's reranker, if any); a 400 on `mode`
    where the collection cannot be searched so (dense without vectors), the 502 or 503 of
    its embedding model where that fails (`embedding_failure`): the caller's request is
    right, the server's engine is not. Any other refusal is the collection's as it is now
    (`collection_unusable`), never said as the engine's: so is a model that is not here
    (`refuse_a_model_not_here`), before a dense or hybrid search would try to load it."""
    from gemeingut.apps.rag.retrieve import effective_mode, search

    try:
        embeds = effective_mode(collection, mode) != "bm25"
    except InputError as error:
        raise APIError(400, error.message, param="mode", code="invalid_value") from None
    if embeds:  # the question is embedded by the model the collection's vectors came from
        refuse_a_model_not_here(request, principal, collection)
    try:
        return search(collection, query, k=k, mode=mode, reranker=request.app.state.reranker)
    except EmbedderFailed as failed:
        logged = _(
            "a search in {name} failed: the collection's embedding model: {reason}",
            name=collection.name,
            reason=failed.error.explained(),
        )
        raise embedding_failed(
            request,
            principal,
            failed.error,
            logged,
            lambda reason: _(
                "the collection could not be searched: its embedding model failed ({reason}); "
                "the server's operator can see to it",
                reason=reason,
            ),
        ) from None
    except InputError as error:
        raise collection_unusable(request, principal, error) from None


def searched_and_cut(
    request: Request, principal: Principal | None, collection, query: str, k: int, mode: Mode
) -> tuple[list[Hit], QuestionCut | None]:
    """`searched`, and what its dense search read of `query` where it read only its start."""
    with noting_cuts() as cuts:
        hits = searched(request, principal, collection, query, k, mode)
    prompt = question_text(collection.meta, "")
    read = question_read(cuts, prompt, query, words_searched=mode == "hybrid")
    return hits, None if read is None else QuestionCut(**asdict(read))


class SourceText(BaseModel):
    document: str
    page: int | str | None
    section: str | None
    lines: tuple[int, int] | None = Field(
        default=None, description="The lines of a text file asked for, first and last."
    )
    text: str = Field(
        description="The whole page (or section, or the lines asked for) the passage stands on."
    )
    page_image: str | None = Field(
        default=None,
        description="Where the page is as a PNG (a PDF's pages): GET it with the same key.",
    )
    page_marks: list[tuple[float, float, float, float]] = Field(
        default_factory=list,
        description="Where the asked passage stands on that image: (left, top, width, height) "
        "per line, as fractions of the page.",
    )


@collections_router.get(
    "/v1/collections/{name}/source",
    response_model=SourceText,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def source_text(
    name: str,
    request: Request,
    collections: Collections,
    principal: CallerDep,
    document: Annotated[str, Query(min_length=1, max_length=1000)],
    page: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    section: Annotated[str | None, Query(max_length=1000)] = None,
    lines: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    passage: str | None = None,  # at most MAX_PASSAGE_CHARS: `_checked_passage`
) -> SourceText:
    """The page or section of a collection's document a citation points to, or a text file's
    lines ("120-164", a chunk's `lines`), read again from the collection's own copy of the
    document (the source viewer). A page as printed: its number, or its label ("iv")."""
    from gemeingut.apps.rag.readers import read_document, same_page

    printed = _printed_page(page)
    span = _line_range(lines)
    _checked_passage(passage)

    def run() -> SourceText:
        collection = visible_collection(request, principal, collections, name)
        stored = stored_document(request, principal, collection, document)
        scans = ScanCache(collection.folder)  # a scan's pages as the ingest read them
        try:
            passages = read_document(stored, scans)
        except InputError:
            raise no_document(request, principal, document) from None
        chosen = [
            p
            for p in passages
            if (printed is None or (p.page is not None and same_page(p.page, printed)))
            and (section is None or p.section == section)
        ]
        if not chosen:
            record_access(request, principal, 404, "scope:page")
            said = _("the document has no such page or section")
            raise APIError(404, said, param="page", code="page_not_found")
        shown = "\n\n".join(p.text for p in chosen) if span is None else _lines_of(chosen, *span)
        if not shown:  # lines asked for of no text file, or beyond its end
            record_access(request, principal, 404, "scope:page")
            said = _("the document has no text in these lines")
            raise APIError(404, said, param="lines", code="lines_not_found")
        record_access(request, principal, 200, "allowed")
        image, marks = None, []
        if printed is not None and is_pdf(stored):
            query = urlencode({"document": document, "page": printed})
            image = f"/v1/collections/{quote(name, safe='')}/page-image?{query}"
            marks = passage_boxes(stored, printed, passage, scans) if passage else []
        return SourceText(
            document=document,
            page=printed,
            section=section,
            lines=span,
            text=shown,
            page_image=image,
            page_marks=marks,
        )

    return await run_in_threadpool(run)


def _line_range(lines: str | None) -> tuple[int, int] | None:
    """The first and last line asked for ("120-164", "120–164" or one line, "12"), or the 400
    that says how to write them."""
    if lines is None:
        return None
    found = _LINES.fullmatch(lines.strip())
    if found is None or int(found["first"]) > int(found["last"] or found["first"]):
        raise APIError(
            400,
            _("{lines!r} are no lines of a text: write the first and the last, e.g. 120-164",
              lines=visible(lines)),
            param="lines",
            code="invalid_value",
        )  # fmt: skip
    return int(found["first"]), int(found["last"] or found["first"])


def _lines_of(passages: list[Passage], first: int, last: int) -> str:
    """The lines `first` to `last` of a text file's passages, as the readers read them (a
    heading's line is its section, not text); "" where none of them is there."""
    kept = [
        line
        for passage in passages
        if passage.line is not None
        for number, line in enumerate(passage.text.split("\n"), passage.line)
        if first <= number <= last
    ]
    return "\n".join(kept).strip("\n")


def _checked_passage(passage: str | None) -> None:
    """The 400 of a field too long for a passage longer than `MAX_PASSAGE_CHARS`, read at each
    request as the page reads it where it is rendered (`apps.web.page`): a bound in the route's
    signature is fixed at the route's first request."""
    if passage is not None and len(passage) > MAX_PASSAGE_CHARS:
        limit = {"max_length": MAX_PASSAGE_CHARS}
        too_long = {"type": "string_too_long", "loc": ("query", "passage"), "ctx": limit}
        raise RequestValidationError([too_long | {"msg": "", "input": passage}])


@collections_router.get(
    "/v1/collections/{name}/page-image",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The page as a PNG."},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
    },
)
async def page_image(
    name: str,
    request: Request,
    collections: Collections,
    principal: CallerDep,
    document: Annotated[str, Query(min_length=1, max_length=1000)],
    page: Annotated[str, Query(min_length=1, max_length=40)],
) -> Response:
    """A page of a collection's PDF as an image, for the source viewer: the page a citation
    names as it is printed. Seen only by the collection's groups, and audited as a reading."""
    from gemeingut.apps.rag.page_image import page_png

    def run() -> bytes:
        collection = visible_collection(request, principal, collections, name)
        path = stored_document(request, principal, collection, document)
        if not is_pdf(path):
            record_access(request, principal, 404, "scope:document")
            said = _("only the pages of a PDF are shown as images")
            raise APIError(404, said, param="document", code="not_a_pdf")
        try:
            png = page_png(path, _printed_page(page), shown_as=document)
        except InputError as exc:
            record_access(request, principal, 404, "scope:page")
            raise APIError(404, exc.message, param="page", code="page_not_found") from None
        record_access(request, principal, 200, "allowed")
        return png

    png = await run_in_threadpool(run)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


def _printed_page(page: str | None) -> int | str | None:
    """A page as asked for: a number as a number ("3"), any other label as written ("iv")."""
    if page is None:
        return None
    page = " ".join(page.split())
    return int(page) if page.isdigit() and len(page) <= 9 else page


def stored_document(
    request: Request, principal: Principal | None, collection, document: str
) -> Path:
    """The collection's own copy of `document`, or the audited 404 that it has none."""

    try:
        return collection.document_file(document)
    except InputError:
        raise no_document(request, principal, document) from None


def no_document(request: Request, principal: Principal | None, document: str) -> APIError:
    record_access(request, principal, 404, "scope:document")
    return APIError(
        404,
        _("no document {key!r} in this collection", key=document),
        param="document",
        code="document_not_found",
    )


def visible_collection(
    request: Request,
    principal: Principal | None,
    collections: OpenCollections,
    name: str,
    outdated_too: bool = False,
):
    """The collection, or the same 404 whether it is missing or another group's; a 409 for
    one whose documents were read by another reader format, to be ingested again: its pages
    and sections are not those the source viewer finds in its documents, its text may hold
    what the readers now leave out. `outdated_too` for the routes of its documents: their
    list shows none of that, and an upload reads them again (`rag.ingest`)."""

    if name not in collections.names():
        _refuse(request, principal, name)
    collection = collections.get(name)
    if not _may_see(request, principal, collection):
        _refuse(request, principal, name)
    if outdated_too:
        return collection
    try:
        collection.refuse_if_outdated()
    except InputError as error:
        record_access(request, principal, 409, "collection_outdated")
        raise APIError(409, error.message, param="name", code="collection_outdated") from None
    return collection


def _may_see(request: Request, principal: Principal | None, collection) -> bool:
    if request.app.state.gateway is None:
        return True  # no identities: the server is one person's (loopback, see runner)
    return principal is not None and collection.visible_to(set(principal.groups))


def _refuse(request: Request, principal: Principal | None, name: str) -> None:
    raise collection_not_found(request, principal, name)


def collection_unusable(request: Request, principal: Principal | None, error) -> APIError:
    """The audited 409 of a collection that cannot be searched or changed as it is now (its
    index made with another word list, its record in a language this gemeingut does not
    ingest): in its own words, which say what its operator can do."""
    record_access(request, principal, 409, "collection_unusable")
    return APIError(409, error.explained(), param="name", code="collection_unusable")


def refuse_a_model_not_here(request: Request, principal: Principal | None, collection) -> None:
    """The 409 of a collection whose vectors a model made that this server does not serve
    and that is not at the folder its record names (a collection made on another machine, a
    model moved): no question can be searched and no document embedded as its vectors were.
    Said with the model's name and what the operator can do; the folder only in the log (a
    member has no use for the server's paths). Not the engine's 502: nothing failed, and
    asking again does not help until the operator acts."""
    embedder = collection.embedder()
    if not isinstance(embedder, OpenedOnFirstUse) or not embedder.spec.holds_no_model:
        return  # served here, an endpoint's (its failures are the engine's: 502), or there
    logged = _(
        "collection {name}: its embedding model {model} is not served, and {source} holds no model",
        name=collection.name,
        model=embedder.name,
        source=embedder.spec.source,
    )
    log.error("%s (%s)", text(logged), REQUEST_ID.get() or "-")
    refused = InputError(
        _(
            "collection {name!r} was embedded with the model {model!r}, which this server "
            "does not serve",
            name=collection.name,
            model=embedder.name,
        ),
        _(
            "its operator can serve the model beside the others with gemeingut serve … --also "
            "{model}=FOLDER, or ingest the collection's documents into a new collection with a "
            "model this server serves: gemeingut rag ingest … --embed …",
            model=embedder.name,
        ),
    )
    raise collection_unusable(request, principal, refused)


def collection_not_found(request: Request, principal: Principal | None, name: str) -> APIError:
    """The audited 404 for a collection that is missing or another group's (the same)."""
    record_access(request, principal, 404, "scope:collection")
    return APIError(
        404, _("no collection {name!r}", name=name), param="name", code="collection_not_found"
    )
