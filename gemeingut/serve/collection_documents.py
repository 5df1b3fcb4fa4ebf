"""`/v1/collections/{name}/documents`: what a collection holds and, where the operator allows
uploads (`serve --upload-max-mb`), people of its groups add, replace and remove documents.

Uploads are off unless the operator turns them on: a document given to a collection is stored
on the server and shown to every member of its groups, a decision for the operator (and the
staff council), not for each person. The file comes as the request's body, its name as the
`filename` parameter (as `curl --data-binary @Vermerk.pdf` sends it); the document's key is
that name. The audit record names the route and the collection, never the document: a file's
name can say whom it is about.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.rag.uploads import LONGEST_NAME, add_uploaded
from gemeingut.i18n import _
from gemeingut.serve.collections import Collections, no_document, visible_collection
from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import ErrorResponse

documents_router = APIRouter()


class DocumentCard(BaseModel):
    id: str = Field(description="The document's key in the collection (its file name).")
    object: Literal["document"] = "document"
    chunks: int


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


def _cards(collection) -> list[DocumentCard]:
    records = collection.meta.get("documents", {})
    return [DocumentCard(id=key, chunks=records[key]["chunks"]) for key in sorted(records)]


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
        collection = visible_collection(request, principal, collections, name)
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
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes (PDF, DOCX, ODT, HTML, Markdown, text).",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_document(
    name: str,
    request: Request,
    collections: Collections,
    principal: CallerDep,
    filename: Annotated[str, Query(min_length=1, max_length=4 * LONGEST_NAME)],
) -> DocumentChange:
    """Add a document to a collection, or replace the one of the same name; it is searchable
    as soon as the answer comes (read, chunked and embedded like `gemeingut rag ingest`)."""
    from gemeingut.errors import InputError

    data = await request.body()

    def run() -> DocumentChange:
        collection = visible_collection(request, principal, collections, name)
        _refuse_without_uploads(request, principal)
        if not data:
            record_access(request, principal, 400, "invalid_request")
            raise APIError(400, _("the file is empty"), param="body")
        embedder = collection.embedder() if collection.vectors is not None else None
        try:
            key, report = add_uploaded(collections.root, name, filename, data, embedder)
        except InputError as error:
            record_access(request, principal, 400, "invalid_request")
            raise APIError(400, error.explained(), param="filename") from None
        if report.skipped:
            record_access(request, principal, 400, "invalid_request")
            why = next(iter(report.skipped.values()))
            raise APIError(
                400,
                _("{name!r} was not taken: {reason}", name=key, reason=why),
                param="body",
                code="document_not_taken",
            )
        record_access(request, principal, 200, "allowed")
        status = "added" if report.added else "updated" if report.updated else "unchanged"
        return _change(collections, name, key, status)

    return await run_in_threadpool(run)


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
        collection = visible_collection(request, principal, collections, name)
        _refuse_without_uploads(request, principal)
        if document not in collection.meta.get("documents", {}):
            raise no_document(request, principal, document)
        remove(collections.root, name, [document])
        record_access(request, principal, 200, "allowed")
        return _change(collections, name, document, "removed")

    return await run_in_threadpool(run)


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
