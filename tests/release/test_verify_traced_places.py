"""A memorised span that occurs more often than the tracer names (3 places) may be reported with
any 3 of its places: a report from before the tracer took the first ones in corpus order names
others, as truly. `verify` checks each named place (document, token offset, licence, source)
and the count of occurrences, not which of them were picked."""

import copy
import json
from collections import Counter
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.audit.span_trace import MAX_LOCATIONS
from gemeingut.audit.subject import iter_documents, training_files
from gemeingut.release.verify_audit_judged import memorisation_again
from gemeingut.release.verify_training_data import audited_sources
from tests.release.test_verify_audit import _problems, _records, _unsigned, _write
from tests.release.test_verify_audit_rejudge import MEMORISATION

SPAN = 4  # tokens: the continuation is one span, or none


def _places(bundle: Path) -> tuple[list[int], list[dict], list[dict]]:
    """The most frequent 4 tokens of the training documents, every place they occur (corpus
    order), and the documents that do not hold them: found by tokenizing every document whole,
    independently of the tracer."""
    tokenizer = Tokenizer.from_file(str(bundle / "model" / "tokenizer.json"))
    documents = list(iter_documents(training_files(bundle / "training-data")))
    encoded = [tokenizer.encode(d["text"], add_special_tokens=False).ids for d in documents]
    grams = Counter(tuple(ids[i : i + SPAN]) for ids in encoded for i in range(len(ids) - SPAN + 1))
    gram = list(min(grams, key=lambda g: (-grams[g], g)))
    places, without = [], []
    for doc, ids in zip(documents, encoded, strict=True):
        offsets = [i for i in range(len(ids) - SPAN + 1) if ids[i : i + SPAN] == gram]
        meta = {"id": doc["id"], "license": doc.get("license"), "source": doc.get("source")}
        places += [{**meta, "token_offset": i} for i in offsets]
        without += [] if offsets else [meta]
    return gram, places, without


@pytest.fixture
def traced(bundle: Path):
    """The first sample's continuation made a span of more than 3 places: the report rewritten
    by `forge(documents)` to name the given places; the true places; other documents."""
    lineage_path = bundle / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    lineage["audit"]["params"]["memorisation"]["span_min_tokens"] = SPAN
    report_path = bundle / "audit" / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    summary = report["memorisation"]
    gram, places, without = _places(bundle)
    assert len(places) > MAX_LOCATIONS + 1, places
    records = _records(bundle, "memorisation.jsonl")
    records[0].update(continuation=gram, near_verbatim=True, exact=True, similarity=1.0)
    summary.update(summarize_memorisation(records, 4, 4, summary["eligible_documents"]))

    def forge(said: list) -> None:
        def edit() -> None:
            lineage_path.write_text(json.dumps(lineage, ensure_ascii=False), encoding="utf-8")
            _write(bundle, "memorisation.jsonl", records)
            summary["traced"] = said
            report_path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")

        _unsigned(bundle, edit)

    forge([])
    sources = audited_sources(bundle, report["training_data"])
    _, figures = memorisation_again(bundle, summary, records, MEMORISATION, sources)
    found = figures["traced"]
    span = found[0]["spans"][0]
    assert span["occurrences"] == len(places)  # the tracer counts every one
    assert span["documents"] == places[:MAX_LOCATIONS]  # and names the first ones

    def naming(documents: list[dict]) -> None:
        said = copy.deepcopy(found)
        said[0]["spans"][0]["documents"] = documents
        forge(said)

    return naming, places, without


def test_other_true_places_of_a_frequent_span_pass(bundle: Path, traced) -> None:
    forge, places, _ = traced
    forge(list(reversed(places[-MAX_LOCATIONS:])))  # the last 3, in another order
    assert "memorisation.traced" not in _problems(bundle)


def test_a_named_document_that_does_not_hold_the_span_fails(bundle: Path, traced) -> None:
    forge, places, without = traced
    named = places[-MAX_LOCATIONS:]
    named[0] = {**without[0], "token_offset": named[0]["token_offset"]}
    forge(named)
    assert "audit/report.json sagt memorisation.traced = " in _problems(bundle)


@pytest.mark.parametrize(
    "named",
    [
        lambda places: [places[-1]] * MAX_LOCATIONS,
        lambda places: places[-MAX_LOCATIONS + 1 :],
        lambda places: [*places[-MAX_LOCATIONS:-1], {**places[-1], "license": "CC-BY-NC-4.0"}],
        lambda places: [*places[-MAX_LOCATIONS:-1], {**places[-1], "token_offset": 10**6}],
    ],
    ids=["one place thrice", "too few", "another licence", "another offset"],
)
def test_untrue_places_fail(bundle: Path, traced, named) -> None:
    forge, places, _ = traced
    forge(named(places))
    assert "audit/report.json sagt memorisation.traced = " in _problems(bundle)
