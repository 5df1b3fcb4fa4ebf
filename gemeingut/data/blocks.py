"""The curate stage's blocks: licence gate, text normalisation, length filter, exact dedup."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from gemeingut.data.documents import Document, ExclusionSink, Record, exclusion_for
from gemeingut.data.licence_hints import meant_expression
from gemeingut.data.licenses import Obligation, decide
from gemeingut.i18n import _, recorded


@dataclass
class LicenseGate:
    """Admit only open licences; attribution licences also need an attribution text and a url.
    A misspelt licence's exclusion names the id meant, as a source's licence is told it."""

    name: str = "license_gate"

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            decision = decide(doc.license)
            if not decision.admitted:
                detail = decision.detail
                if meant := meant_expression(doc.license):
                    meaning = _("{detail}; did you mean {meant}?", detail=detail, meant=meant)
                    detail = recorded(meaning)
                exclude(exclusion_for(doc, decision.reason, detail))
                continue
            if decision.obligation >= Obligation.ATTRIBUTION and not (doc.attribution and doc.url):
                exclude(
                    exclusion_for(
                        doc,
                        "licence-attribution-missing",
                        f"{decision.chosen} requires attribution text and source url",
                    )
                )
                continue
            doc.license = decision.expression
            yield doc


@dataclass
class NormalizeText:
    """Unicode NFC and unified line endings, so equal texts are stored as equal bytes."""

    name: str = "normalize_text"

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            doc.text = unicodedata.normalize(
                "NFC", doc.text.replace("\r\n", "\n").replace("\r", "\n")
            )
            yield doc


@dataclass
class MinLength:
    """Drop empty and too-short documents (whitespace does not count)."""

    min_chars: int = 1
    name: str = "min_length"

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            length = len(doc.text.strip())
            if length == 0:
                exclude(exclusion_for(doc, "empty", "no text"))
            elif length < self.min_chars:
                exclude(exclusion_for(doc, "too-short", f"{length} < {self.min_chars} characters"))
            else:
                yield doc


@dataclass
class ExactDedup:
    """Phase-2 block over records: keep the first document of every normalised text (its key
    comes from `Fingerprints`) and the first use of every id."""

    name: str = "exact_dedup"
    _seen_text: dict[bytes, str] = field(default_factory=dict)
    _seen_ids: set[str] = field(default_factory=set)

    def run(self, records: Iterator[Record], exclude: ExclusionSink) -> Iterator[Record]:
        for record in records:
            if record.id in self._seen_ids:
                exclude(record.exclusion("duplicate-id", "an earlier document has this id"))
                continue
            if record.dedup_key in self._seen_text:
                first = self._seen_text[record.dedup_key]
                exclude(record.exclusion("duplicate", f"same text as {first}"))
                continue
            self._seen_ids.add(record.id)
            self._seen_text[record.dedup_key] = record.id
            yield record
