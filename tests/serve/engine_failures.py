"""What the tests of a failing encoder share: the staff's gateway (`staff`), the encoder on
loopback that a test makes fail (`embedding_endpoint`), the collection `vergabe` whose vectors
it made, and how an answer's error and the audit's decisions are read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from gemeingut.serve.gateway.audit_log import export
from tests.serve.embedding_endpoint import MODEL, EmbeddingEndpoint, embedding_endpoint
from tests.serve.test_collections import staff
from tests.serve.test_upload_remote_encoder import encoded_collection

Serve = Callable[[FastAPI], AbstractContextManager[str]]


@dataclass(frozen=True)
class EncodedSite:
    told: EmbeddingEndpoint  # the encoder: `told.answers` switches how it answers
    root: Path  # the collections folder, with `vergabe`
    engine: Engine  # the gateway's store
    keys: dict[str, str]  # eva's (of vergabe's group einkauf) and paul's


@contextmanager
def encoded_site(tmp_path: Path) -> Iterator[EncodedSite]:
    """The staff and `vergabe`, embedded by an encoder on loopback that is gone afterwards."""
    engine, keys = staff(tmp_path)
    with embedding_endpoint() as told:
        yield EncodedSite(told, encoded_collection(tmp_path, told.url, MODEL), engine, keys)


def error_of(response: httpx.Response) -> dict:
    return response.json()["error"]


def decisions(engine: Engine, route: str) -> list[tuple[int, str]]:
    """(status, decision) of each audit record of a route ending in `route`, oldest first."""
    return [(r["status"], r["decision"]) for r in export(engine) if r["route"].endswith(route)]
