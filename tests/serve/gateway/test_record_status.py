"""A request's audit records are what `request_context.py` promises: one per model call (a draft
asks the model once per section), one otherwise, and the last one says the status the client
got. Before, the tender check, the trace and a draft without sources were recorded as 200
before work that could still fail, so a 500 after it left a log that said 200; and a 500 after
the model had answered gave the whole reservation back, as if nothing had been generated."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from gemeingut.apps.assistants.rulefile import Rule
from gemeingut.apps.rag.index import ingest
from gemeingut.audit.span_trace import SpanIndex
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import GenerationResult, SamplingParams, TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.trace_route import TraceIndex
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
MEMO = """# Richtlinie mobiles Arbeiten

## Pauschale

Für mobiles Arbeiten zahlt die Stadt eine Pauschale von 25 Euro monatlich bei Vollzeit.

## Datenschutz

Personenbezogene Daten dürfen nur auf dienstlichen Geräten verarbeitet werden.
"""


@dataclass
class Office:
    """A governed server's database, its user anna (group `amt`) and her key."""

    store: Engine
    key: str
    collections: Path

    def post(self, url: str, path: str, body: dict) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.key}"}
        return httpx.post(url + path, json=body, headers=headers, timeout=300)

    def records(self) -> list[tuple[Any, ...]]:
        return [(r["route"], r["status"], r["decision"]) for r in export(self.store)]


@pytest.fixture
def office(tmp_path: Path) -> Office:
    store = open_store(str(tmp_path / "gateway.db"))
    add_group(store, "amt")
    add_user(store, "anna", ("amt",))
    _, key = create_key(store, "anna")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mobil.md").write_text(MEMO, encoding="utf-8")
    ingest(tmp_path / "collections", "amt", [tmp_path / "docs"], groups=["amt"])
    return Office(store, key, tmp_path / "collections")


@pytest.fixture(scope="module")
def long_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with a context that holds a draft section's task and its sources."""
    out = tmp_path_factory.mktemp("lang") / "winzig-lang"
    shutil.copytree(model_dir, out)
    config = json.loads((out / "config.json").read_text())
    config["max_position_embeddings"] = 4096
    (out / "config.json").write_text(json.dumps(config))
    return out


class Unprintable:
    """A document id of a training corpus that cannot be written as text: the trace fails
    after its work, where nobody foresaw it."""

    def __str__(self) -> str:
        raise ValueError("kaputt")


def test_a_trace_that_fails_after_its_work_is_recorded_as_the_500_it_was(
    backend: TransformersBackend, serve: Serve, office: Office
) -> None:
    def tokenize(text: str) -> list[int]:
        return backend.tokenize(text, add_special_tokens=False)

    documents = [{"id": Unprintable(), "text": MEMO, "license": "CC0-1.0", "source": "amt"}]
    index = TraceIndex(SpanIndex.build(documents, tokenize), backend)
    app = create_app(backend, gateway=Gateway(office.store), trace=index)
    with serve(app) as url:
        failed = office.post(url, "/v1/trace", {"text": "eine Pauschale von 25 Euro monatlich"})
    assert failed.status_code == 500
    assert office.records() == [("/v1/trace", 500, "server_error")]  # was 200, allowed


def test_a_tender_check_that_fails_after_its_work_is_recorded_as_the_500_it_was(
    backend: TransformersBackend, serve: Serve, office: Office
) -> None:
    rule = Rule.model_validate(
        {
            "id": "vertragsstrafe",
            "source": "§ 9a VOB/A",
            "severity": "warning",
            "title": "Vertragsstrafe prüfen",
            "advice": "Höchstens 5 % der Auftragssumme.",
            "forbidden": ["Vertragsstrafe"],
        }
    )
    broken = rule.model_copy(update={"source": 31})  # a rule set made by code, not checked
    app = create_app(backend, gateway=Gateway(office.store), tender_rules=[broken])
    with serve(app) as url:
        failed = office.post(url, "/v1/assist/tender", {"text": "Die Vertragsstrafe beträgt 10 %."})
    assert failed.status_code == 500
    assert office.records() == [("/v1/assist/tender", 500, "server_error")]


def test_a_draft_has_one_record_per_model_call_and_one_without_any(
    long_model_dir: Path, serve: Serve, office: Office
) -> None:
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    app = create_app(backend, gateway=Gateway(office.store), collections=office.collections)
    memo = {"kind": "vermerk", "collection": "amt", "subject": "Pauschale für mobiles Arbeiten"}
    with serve(app) as url:
        written = office.post(url, "/v1/assist/draft", memo)
        calls = list(export(office.store))
        nothing = office.post(url, "/v1/assist/draft", memo | {"subject": "Quantenchromodynamik"})
    assert written.status_code == 200, written.text
    assert written.json()["asked_model"] and len(written.json()["sections"]) == 3
    assert [(r["route"], r["status"], r["decision"]) for r in calls] == [
        ("/v1/assist/draft", 200, "allowed")
    ] * 3  # one a section's model call, and no record of the request besides
    assert len({r["request_id"] for r in calls}) == 3
    assert all(r["completion_tokens"] >= 1 for r in calls)
    assert nothing.status_code == 200 and not nothing.json()["asked_model"]
    [without] = list(export(office.store))[3:]  # no model call: one record of its own
    assert (without["status"], without["decision"], without["prompt_tokens"]) == (
        200,
        "allowed",
        None,
    )


class Speechless(TransformersBackend):
    """Answers, but with no text: the draft fails after its first model call was recorded."""

    def generate_batch(self, *args: Any, **kwargs: Any) -> list[GenerationResult]:
        done = super().generate_batch(*args, **kwargs)
        return [replace(r, text=None) for r in done]  # type: ignore[arg-type]


def test_a_draft_that_fails_after_the_model_answered_is_recorded_as_its_500(
    long_model_dir: Path, serve: Serve, office: Office
) -> None:
    backend = Speechless(long_model_dir, model_name="winzig")
    app = create_app(backend, gateway=Gateway(office.store), collections=office.collections)
    memo = {"kind": "vermerk", "collection": "amt", "subject": "Pauschale für mobiles Arbeiten"}
    with serve(app) as url:
        failed = office.post(url, "/v1/assist/draft", memo)
    assert failed.status_code == 500
    [record] = export(office.store)
    # the model call's record, corrected: it said 200 while the client got a 500
    assert (record["status"], record["decision"]) == (500, "allowed")
    assert record["completion_tokens"] >= 1  # what the model generated still counts


class Uncountable(TransformersBackend):
    """Generates, then hands back counts nobody can add up: a 500 after the work, before the
    quota was settled."""

    def generate_batch(self, *args: Any, **kwargs: Any) -> list[GenerationResult]:
        done = super().generate_batch(*args, **kwargs)
        return [replace(r, completion_tokens=None) for r in done]  # type: ignore[arg-type]


def test_a_500_after_the_work_keeps_the_reservation(
    model_dir: Path, serve: Serve, office: Office
) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=10_000)
    backend = Uncountable(model_dir, model_name=MODEL_NAME)
    reserved = backend.max_tokens_needed(["Hallo"], SamplingParams(max_tokens=3))
    with serve(create_app(backend, gateway=Gateway(office.store))) as url:
        failed = office.post(
            url, "/v1/completions", {"model": MODEL_NAME, "prompt": "Hallo", "max_tokens": 3}
        )
    assert failed.status_code == 500
    [record] = export(office.store)
    assert (record["status"], record["decision"]) == (500, "server_error")
    assert (record["prompt_tokens"], record["completion_tokens"]) == (None, None)
    counted = usage(office.store, "user", "anna", utcnow())
    # the tokens were generated: the reservation counts (before, all was given back: 0)
    assert (counted["tokens_today"], counted["tokens_reserved"]) == (reserved, 0)
