"""The records that flow through the data stage: documents and the exclusions they leave."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

DOCUMENT_COLUMNS = ("id", "text", "source", "license", "url", "attribution")


@dataclass
class Document:
    """One text with everything needed to publish it again: source, licence, url, attribution."""

    id: str
    text: str
    source: str
    license: str | None
    url: str | None
    attribution: str | None
    location: str  # file and line/row, for error messages and exclusion records
    language: str | None = None  # set by language identification, when it runs
    minhash: bytes | None = None  # near-duplicate signature, computed where the work is parallel
    ngrams: bytes | None = None  # word n-gram hashes for the test-contamination check
    dedup_key: bytes | None = None  # exact-duplicate key of the normalised text
    licence_from_source: bool = False  # it named none: the source's licence was given to it


@dataclass(frozen=True)
class Exclusion:
    """Why a document (or an unreadable record) did not make it; never holds the text."""

    id: str
    source: str
    location: str
    reason: str
    license: str | None
    detail: str = ""
    characters: int = 0  # how much text was lost: for the volume statistics, never the text


ExclusionSink = Callable[[Exclusion], None]


@dataclass
class Record:
    """What the sequential phase knows of a document: everything but its text.

    Global de-duplication, the split and the contamination check need only ids, hashes and
    sizes; the text stays in the phase-1 task file (`task`, `row`) until the shards are written,
    so the sequential phase never holds the corpus in memory.
    """

    id: str
    source: str
    license: str | None
    language: str | None
    location: str
    n_chars: int
    n_bytes: int
    dedup_key: bytes
    minhash: bytes | None
    task: int
    row: int

    def exclusion(self, reason: str, detail: str = "") -> Exclusion:
        return Exclusion(
            self.id, self.source, self.location, reason, self.license, detail, self.n_chars
        )


class RecordBlock(Protocol):
    """A step of the sequential phase: it compares documents with each other by their records."""

    name: str

    def run(self, records: Iterator[Record], exclude: ExclusionSink) -> Iterator[Record]: ...


class Block(Protocol):
    """One step of the data pipeline, composed in a list like datatrove's pipeline steps."""

    name: str

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]: ...


def exclusion_for(doc: Document, reason: str, detail: str = "") -> Exclusion:
    return Exclusion(doc.id, doc.source, doc.location, reason, doc.license, detail, len(doc.text))
