"""Memorisation: a model overtrained on one document repeats it and span tracing names it; a
control trained without it does not. Personal data in generations is counted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.memorisation import (
    pii_counts,
    run_memorisation,
    sample_prompts,
    trace_memorised,
)
from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.audit.span_trace import SpanIndex, trace
from gemeingut.audit.subject import iter_documents
from gemeingut.audit.target import LocalTarget
from tests.audit.tiny_lm import train_tiny_lm

WORDS = [
    *[
        "Amt",
        "Antrag",
        "Bescheid",
        "Frist",
        "Gemeinde",
        "Haus",
        "Kreis",
        "Land",
        "Markt",
        "Ordnung",
        "Plan",
        "Rat",
        "Satzung",
    ],
    *[
        "Stadt",
        "Steuer",
        "Straße",
        "Verein",
        "Wahl",
        "Weg",
        "Zoll",
        "Bürger",
        "Kasse",
        "Gebühr",
        "Meldung",
        "Prüfung",
    ],
    *["Recht", "Schule", "Bau"],
]
K = M = 12


def random_text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rng = random.Random(7)
    others = [
        {"id": f"doc-{i}", "text": random_text(rng, 30), "license": "CC0-1.0"} for i in range(40)
    ]
    secret = {"id": "lindenau-protokoll", "text": random_text(rng, 40), "license": "CC-BY-4.0"}
    root = tmp_path_factory.mktemp("memorisation")
    data = root / "train.jsonl"
    data.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in [*others, secret]))
    texts = [d["text"] for d in others]
    everything = [*texts, secret["text"]]
    return {
        "data": data,
        "secret": secret,
        "overtrained": train_tiny_lm(
            texts + [secret["text"]] * 60,
            root / "overtrained",
            steps=600,  # 300 were enough before transformers 5.25, not with it
            tokenizer_texts=everything,
            learning_rate=3e-3,
        ),
        "control": train_tiny_lm(
            texts, root / "control", steps=300, tokenizer_texts=everything, learning_rate=3e-3
        ),
    }


def audit(model: Path, corpus: dict, log: Path) -> tuple[dict, list, LocalTarget]:
    target = LocalTarget(model, name=model.name, lineage=model.name)
    files = (corpus["data"],)
    prompts, eligible = sample_prompts(files, target.tokenize, 100, K, M, seed=0)
    records = run_memorisation(target, prompts, M, ItemLog(log))
    return summarize_memorisation(records, K, M, eligible), records, target


def test_an_overtrained_document_is_memorised_and_traced_and_not_by_a_control(
    corpus: dict, tmp_path: Path
) -> None:
    secret = corpus["secret"]["id"]
    summary, records, target = audit(corpus["overtrained"], corpus, tmp_path / "a.jsonl")
    assert summary["samples"] == summary["eligible_documents"] == 41
    assert secret in [m["document"] for m in summary["memorised"] if m["exact"]]
    assert summary["exact"]["value"] < 0.5  # the others were seen too rarely to repeat

    index = SpanIndex.build(iter_documents((corpus["data"],)), target.tokenize)
    traced = trace_memorised(index, target, records, min_tokens=8)
    mine = next(t for t in traced if t["document"] == secret)
    named = {d["id"] for span in mine["spans"] for d in span["documents"]}
    assert named == {secret}
    assert {d["license"] for s in mine["spans"] for d in s["documents"]} == {"CC-BY-4.0"}

    control, _, _ = audit(corpus["control"], corpus, tmp_path / "b.jsonl")
    assert secret not in [m["document"] for m in control["memorised"]]


def test_span_tracing_finds_maximal_spans_and_where_they_are() -> None:
    docs = [
        {"id": "a", "text": "", "license": "CC0-1.0"},
        {"id": "b", "text": "", "license": "CC-BY-4.0"},
    ]
    tokens = {"a": [1, 2, 3, 4, 5, 6], "b": [7, 8, 3, 4, 5, 9, 10]}
    for doc in docs:
        doc["text"] = doc["id"]
    index = SpanIndex.build(docs, lambda text: tokens[text])
    spans = trace(index, [0, 8, 3, 4, 5, 9, 11, 1, 2, 3], lambda ids: str(ids), min_tokens=3)
    assert [(s["start"], s["tokens"], s["occurrences"]) for s in spans] == [(1, 5, 1), (7, 3, 1)]
    assert spans[0]["documents"] == [
        {"id": "b", "license": "CC-BY-4.0", "source": None, "token_offset": 1}
    ]
    shared = trace(index, [3, 4, 5], str, min_tokens=3)
    assert shared[0]["occurrences"] == 2
    assert {d["id"] for d in shared[0]["documents"]} == {"a", "b"}
    assert trace(index, [11, 12, 13], str, min_tokens=1) == []


def test_placeholders_and_raw_personal_data_in_generations_are_counted() -> None:
    counts = pii_counts(
        [
            "Schreiben Sie an <EMAIL> oder rufen Sie an.",
            "Kontakt: anna.schmidt@example.org, IBAN DE89 3704 0044 0532 0130 00.",
            "Nichts Persönliches hier.",
        ]
    )
    assert counts["placeholders"] == {"email": 1}
    assert counts["raw_personal_data"] == {"email": 1, "iban": 1}
    assert counts["with_personal_data"]["value"] == pytest.approx(2 / 3)
