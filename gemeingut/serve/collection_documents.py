"""`/v1/collections/{name}/documents`: what a collection holds and, where the operator allows
uploads (`serve --upload-max-mb`), people of its groups add, replace and remove documents.

Uploads are off unless the operator turns them on: a document given to a collection is stored
on the server and shown to every member of its groups, a decision for the operator (and the
staff council), not for each person. The file comes as the request's body, its name as the
`filename` parameter (`curl --data-binary @Vermerk.pdf '…/documents?filename=Vermerk.pdf'`:
the body carries no name; one sent without it is told so, with that example to copy); the
document's key is that name. Why a file is not taken is said in the request's language, and
names the file: the page shows that sentence as it is. The audit record names the route and
the collection, never the document: a file's name can say whom it is about.

What went wrong is said by whose it is: a file that is no document is the sender's (400), a
collection that is missing or another group's is none (404), and an embedding model that fails
(the collection's endpoint refuses, fails or is not there: `embedders.EmbedderFailed`) is the
server's engine: 502 with its reason, 503 where it said it is busy or at a limit
(`endpoint.Refused`): asking again later may help, sending another file does not. Any other
refusal of the ingest is the collection's as it is now (`collection_unusable`, 409), said in
its own words, never as the engine's. So is a collection whose vectors came from a model this
server neither serves nor finds where the record says (`collections.refuse_a_model_not_here`,
as a search's): the refusal names the model and what its operator can do, the log also where
it was looked for. Chunks of the document longer than the embedding model reads are embedded
by their start, and the answer's `note` says how many, as `rag ingest` does.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.rag.embedders import EmbedderFailed
from gemeingut.apps.rag.ingest_files import UPLOADED
from gemeingut.apps.rag.storage import CollectionBusy
from gemeingut.apps.rag.uploads import LONGEST_NAME, NotTaken, add_uploaded, document_key
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.serve.collections import (
    Collections,
    OpenCollections,
    collection_not_found,
    collection_unusable,
    no_document,
    refuse_a_model_not_here,
    visible_collection,
)
from gemeingut.serve.embedding_failure import embedding_failed
from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import ErrorResponse
from gemeingut.serve.upload_embedding import MeteredEmbedder
from gemeingut.serve.upload_slots import UploadSlots

documents_router = APIRouter()
log = logging.getLogger("gemeingut.serve")


class DocumentCard(BaseModel):
    id: str = Field(description="The document's key in the collection (its file name).")
    object: Literal["document"] = "document"
    chunks: int
    uploaded: bool = Field(
        description="Uploaded by a person (who may replace or remove it), not by the operator."
    )


class DocumentList(BaseModel):
    object: Literal["list"] = "list"
    collection: str
    uploads: bool = Field(description="Whether this server takes documents (POST).")
    max_upload_bytes: int | None = Field(description="The largest file it takes.")
    data: list[DocumentCard]


class DocumentChange(BaseModel):
    object: Literal["collection.document"] = "collection.document"
    collection: str
    document: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int = Field(description="The document's chunks (0 once removed).")
    documents: int = Field(description="The collection's documents after the change.")
    control_characters: int = Field(
        default=0,
        description="Control characters in the file (a zero byte, an escape) read as spaces.",
    )
    note: str | None = Field(
        default=None,
        description="What the sender should know of the upload: the file as it was read, its "
        "chunks cut for the embedding model, the collection embedded again.",
    )


def _cards(collection) -> list[DocumentCard]:
    records = collection.meta.get("documents", {})
    return [
        DocumentCard(
            id=key,
            chunks=records[key]["chunks"],
            uploaded=records[key]["source"].startswith(UPLOADED),
        )
        for key in sorted(records)
    ]


@documents_router.get(
    "/v1/collections/{name}/documents",
    response_model=DocumentList,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def list_documents(
    name: str, request: Request, collections: Collections, principal: CallerDep
) -> DocumentList:
    """The documents of a collection the caller's groups own."""

    def run() -> DocumentList:
        collection = visible_collection(request, principal, collections, name, outdated_too=True)
        record_access(request, principal, 200, "allowed")
        limit = request.app.state.upload_max_bytes
        return DocumentList(
            collection=name,
            uploads=limit is not None,
            max_upload_bytes=limit,
            data=_cards(collection),
        )

    return await run_in_threadpool(run)


@documents_router.post(
    "/v1/collections/{name}/documents",
    response_model=DocumentChange,
    responses={
        400: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
        502: {"model": ErrorResponse, "description": "The collection's embedding model failed."},
        503: {"model": ErrorResponse},
        507: {"model": ErrorResponse},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes (PDF, DOCX, ODT, HTML, Markdown, text).",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        # read by the route itself, so that its absence is said in words (`_no_filename`)
        "parameters": [
            {
                "name": "filename",
                "in": "query",
                "required": True,
                "description": "The file's name, which becomes the document's key.",
                "schema": {"type": "string", "minLength": 1, "maxLength": LONGEST_NAME},
            }
        ],
    },
)
async def upload_document(
    name: str, request: Request, collections: Collections, principal: CallerDep
) -> DocumentChange:
    """Add a document to a collection, or replace the one of the same name; it is searchable
    as soon as the answer comes (read, chunked and embedded like `gemeingut rag ingest`; the
    embedding counts against the caller's tokens_per_day and waits in the model's queue; other
    documents embedded again for a newer gemeingut are the operator's, not the caller's)."""
    filename = request.query_params.get("filename")
    if filename is None:
        await run_in_threadpool(record_access, request, principal, 400, "invalid_request")
        raise APIError(
            400, _no_filename(request), param="filename", code="missing_required_parameter"
        )
    slots: UploadSlots | None = request.app.state.upload_slots  # None: uploads are off
    slot = None
    if slots is not None:
        try:
            slot = await run_in_threadpool(slots.take)  # before the file is read and embedded
        except APIError as refused:  # 503 uploads_busy, or 507 where the slots cannot be had
            status, decision = refused.status, refused.code or "server_error"
            await run_in_threadpool(record_access, request, principal, status, decision)
            raise
    try:
        data = await request.body()
        return await run_in_threadpool(
            _upload, name, request, collections, principal, filename, data
        )
    finally:
        if slot is not None:
            slot.give_back()


def _upload(
    name: str,
    request: Request,
    collections: OpenCollections,
    principal: Principal | None,
    filename: str,
    data: bytes,
) -> DocumentChange:
    """The upload's work, in a worker thread."""
    collection = visible_collection(request, principal, collections, name, outdated_too=True)
    _refuse_without_uploads(request, principal)
    try:
        _refuse_a_name_not_utf8(request)
        key = document_key(filename)
    except InputError as error:
        record_access(request, principal, 400, "invalid_request")
        raise APIError(400, error.explained(), param="filename", code="invalid_value") from None
    if not data:
        record_access(request, principal, 400, "invalid_request")
        raise APIError(400, _("the file is empty"), param="body", code="invalid_value")
    _refuse_the_operators(request, principal, collection, key)
    embedder = upkeep = None
    if collection.meta.get("embedder"):  # the other documents' embedding is the operator's
        refuse_a_model_not_here(request, principal, collection)
        embedder = MeteredEmbedder(collection.embedder(), request, principal)
        upkeep = MeteredEmbedder(collection.embedder(), request, principal, upkeep=True)
    try:
        said_in = request_language(request)  # why a file is not taken, in the sender's words
        report = add_uploaded(collections.root, name, key, data, embedder, upkeep, said_in)
    except CollectionBusy as error:
        raise _busy(request, principal, error) from None
    except EmbedderFailed as failed:
        raise _engine_failed(request, principal, name, failed.error) from None
    except NotTaken as error:
        record_access(request, principal, 400, "invalid_request")
        raise APIError(
            400,
            _("{name!r} was not taken: {reason}", name=key, reason=error.message),
            param="body",
            code="document_not_taken",
        ) from None
    except InputError as error:
        if name not in collections.names():  # the collection went away meanwhile
            raise collection_not_found(request, principal, name) from None
        raise collection_unusable(request, principal, error) from None
    except OSError as error:  # the disk: the server's trouble, said without the path
        said = _(
            "an upload to {name} could not be stored (errno {errno})",
            name=name,
            errno=str(error.errno),
        )
        log.error("%s", text(said))
        record_access(request, principal, 507, "server_error")
        raise APIError(
            507,
            _("the server could not store the file; tell its operator"),
            code="server_error",
            type="server_error",
        ) from None
    record_access(request, principal, 200, "allowed")
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    change = _change(collections, name, key, status)
    notes = []
    controls = report.control_characters.get(key, 0)
    if controls:  # taken, but perhaps not the file that was meant: the sender is told
        change.control_characters = controls
        notes.append(
            _(
                "{key}: control characters (such as zero bytes) read as spaces: {count}",
                key=key,
                count=controls,
            )
        )
    cut = report.cut_in.get(key, 0)
    if cut:  # the dense search does not find what stands at their ends
        notes.append(_chunks_cut(cut, change.chunks))
    if report.embedded_again:  # why the upload took as long as embedding the collection
        notes.append(
            _(
                "all {count} chunks embedded again: the model now embeds otherwise "
                "(pooling/prompts)",
                count=report.embedded_again,
            )
        )
    if notes:
        change.note = "; ".join(text(note, request_language(request)) for note in notes)
    return change


@documents_router.delete(
    "/v1/collections/{name}/documents",
    response_model=DocumentChange,
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def remove_document(
    name: str,
    request: Request,
    collections: Collections,
    principal: CallerDep,
    document: Annotated[str, Query(min_length=1, max_length=1000)],
) -> DocumentChange:
    """Take a document out of a collection: its chunks, vectors and stored copy."""
    from gemeingut.apps.rag.ingest import remove

    def run() -> DocumentChange:
        collection = visible_collection(request, principal, collections, name, outdated_too=True)
        _refuse_without_uploads(request, principal)
        if document not in collection.meta.get("documents", {}):
            raise no_document(request, principal, document)
        _refuse_the_operators(request, principal, collection, document)
        try:
            remove(collections.root, name, [document], wait=False)
        except CollectionBusy as error:
            raise _busy(request, principal, error) from None
        except InputError:  # taken out (or the collection removed) meanwhile
            raise no_document(request, principal, document) from None
        record_access(request, principal, 200, "allowed")
        return _change(collections, name, document, "removed")

    return await run_in_threadpool(run)


def _chunks_cut(count: int, chunks: int) -> Message:
    """Chunks of the uploaded document the search by meaning read only the start of (the
    document is named beside the note: the response's `document`, the page's sentence before
    it). "{count} of {chunks}" after a colon: the catalogue has no plural forms."""
    return _(
        "Passages of which the search by meaning read only the start, as they are longer than "
        "its model reads at once (the search by words reads them whole): {count} of {chunks}",
        count=count,
        chunks=chunks,
    )


def upload_example(address: str, keyed: bool) -> str:
    """A curl command that uploads Vermerk.pdf to `address` (a collection's documents), with a
    key's header where `keyed`: what a refused upload shows to copy. The name goes in the
    `filename` parameter: curl's `--data-binary` sends none of itself."""
    key = " -H 'Authorization: Bearer gg_…'" if keyed else ""
    return (
        "curl --data-binary @Vermerk.pdf -H 'Content-Type: application/octet-stream'"
        f"{key} '{address}?filename=Vermerk.pdf'"
    )


def _no_filename(request: Request) -> Message:
    """Why an upload without the `filename` parameter is refused, with an example to copy:
    this route's own address, and a key's header where this server asks for keys."""
    address = str(request.url.replace(query=""))
    return _(
        "the file's name is missing: send it as the query parameter filename, e.g. {example}",
        example=upload_example(address, keyed=request.app.state.gateway is not None),
    )


def _refuse_a_name_not_utf8(request: Request) -> None:
    """An `InputError` where the `filename` parameter's percent-escaped bytes are not UTF-8
    (`M%FCll.txt`, Latin-1): the parsed parameter has each such byte replaced by U+FFFD, and
    a document would be stored under a name that is not the file's. Read from the raw query."""
    for field in request.scope.get("query_string", b"").split(b"&"):
        key, _sep, value = field.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) != b"filename":
            continue
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                _("the file name is not UTF-8 text"),
                _("send the file's name encoded as UTF-8, e.g. M%C3%BCll.txt for Müll.txt"),
            ) from None


def _refuse_the_operators(
    request: Request, principal: Principal | None, collection, key: str
) -> None:
    """A document the operator ingested (`gemeingut rag ingest`) is not replaced or removed
    through the API: a member of the group could otherwise swap a service instruction
    everyone cites. What people uploaded, they may change."""
    record = collection.meta.get("documents", {}).get(key)
    if record is None or record["source"].startswith(UPLOADED):
        return
    record_access(request, principal, 403, "scope:document")
    if request.method == "DELETE":  # there is nothing of theirs to upload instead
        said = _(
            "{key!r} was taken in by the server's operator: it is not removed here; ask the "
            "operator",
            key=key,
        )
    else:
        said = _(
            "{key!r} was taken in by the server's operator: it is not replaced or removed "
            "here; upload yours under another name, or ask the operator",
            key=key,
        )
    raise APIError(403, said, param="filename", code="document_of_operator")


def _engine_failed(
    request: Request, principal: Principal | None, name: str, error: InputError
) -> APIError:
    """The 502 or 503 of the collection's embedding model that failed on an upload
    (`embedding_failure`)."""
    logged = _(
        "an upload to {name} failed: the collection's embedding model: {reason}",
        name=name,
        reason=error.explained(),
    )
    return embedding_failed(
        request,
        principal,
        error,
        logged,
        lambda reason: _(  # not "not taken": the page says that before it, naming the file
            "the collection's embedding model failed ({reason}); the server's operator can see "
            "to it",
            reason=reason,
        ),
    )


def _busy(request: Request, principal: Principal | None, error: InputError) -> APIError:
    record_access(request, principal, 409, "busy")
    return APIError(409, error.explained(), code="collection_busy", headers={"Retry-After": "5"})


def _refuse_without_uploads(request: Request, principal: Principal | None) -> None:
    if request.app.state.upload_max_bytes is None:
        record_access(request, principal, 403, "uploads_off")
        raise APIError(
            403,
            _(
                "this server does not take documents; its operator can allow it with "
                "`gemeingut serve --upload-max-mb N`"
            ),
            code="uploads_off",
        )


def _change(collections, name: str, key: str, status: str) -> DocumentChange:
    records = collections.get(name).meta.get("documents", {})
    return DocumentChange(
        collection=name,
        document=key,
        status=status,
        chunks=records.get(key, {}).get("chunks", 0),
        documents=len(records),
    )
