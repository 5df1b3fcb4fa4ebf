"""Content logging, for a deployment that opts in (`--content-log-days`): what was asked and
answered is kept under the audit pseudonym, published at /v1/policy and in the Art. 30 record,
deleted after its days, exportable for the person (the reading itself audited) and erasable;
without the option nothing is kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import httpx
import openai
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key, utcnow
from gemeingut.serve.gateway.retention import tidy_once
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
QUESTION = "Wie beantrage ich einen Bewohnerparkausweis?"
runner = CliRunner()


def stored(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(content_log)).scalar_one())


def admin(store_url: str, *args: str):
    return runner.invoke(app, ["admin", *args, "--db", store_url])


def test_opted_in_content_is_kept_exported_with_a_trace_and_erased(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_group(engine, "amt")
    add_user(engine, "anna", ("amt",))
    _key_id, key = create_key(engine, "anna")
    gateway = Gateway(engine, content_days=7)
    with serve(create_app(backend, gateway=gateway, audit_retention_days=90)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": QUESTION}]
        answer = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=5)
        pieces = client.chat.completions.create(
            model=MODEL_NAME, messages=messages, max_tokens=5, stream=True
        )
        streamed = "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)
        terms = httpx.get(f"{url}/v1/policy").json()["audit_log"]
    assert terms["content"] is True and terms["content_retention_days"] == 7
    exported = admin(store_url, "content", "export", "--user", "anna")
    assert exported.exit_code == 0, exported.output
    rows = [line for line in exported.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2 and all(QUESTION in row for row in rows)
    answers = [json.loads(row)["answer"] for row in rows]
    sent = [answer.choices[0].message.content, streamed]  # the random model may emit NUL,
    assert answers == [text.replace("\x00", "\ufffd") for text in sent]  # kept as U+FFFD
    records = list(export(engine))
    reading = [r for r in records if r["route"] == "admin:content-export"]
    assert len(reading) == 1 and reading[0]["decision"] == "read:2"
    assert reading[0]["user_pseudonym"] == records[0]["user_pseudonym"]  # whose content
    assert all(QUESTION not in json.dumps(r, default=str) for r in records)  # log: metadata only
    record = admin(store_url, "audit", "records")
    assert "werden gespeichert (in dieser Installation eingeschaltet)" in record.output
    assert "Gespeicherte Inhalte werden nach 7 Tagen gelöscht." in record.output
    tidy_once(engine, 90, utcnow() + timedelta(days=6), content_days=7)
    assert stored(engine) == 2
    erased = admin(store_url, "content", "delete", "--user", "anna", "--yes")
    assert erased.exit_code == 0 and "2 protokollierte Anfragen von anna gelöscht" in erased.output
    assert stored(engine) == 0


def test_content_goes_after_its_days_and_without_the_option_none_is_kept(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "ben")
    _key_id, key = create_key(engine, "ben")
    for days in (None, 3):
        with serve(create_app(backend, gateway=Gateway(engine, content_days=days))) as url:
            openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0).completions.create(
                model=MODEL_NAME, prompt=QUESTION, max_tokens=3
            )
            content = httpx.get(f"{url}/v1/policy").json()["audit_log"]["content"]
        assert content is bool(days)
        assert stored(engine) == (1 if days else 0)
    tidy_once(engine, None, utcnow() + timedelta(days=2), content_days=3)
    assert stored(engine) == 1
    tidy_once(engine, None, utcnow(), content_days=None)  # logging switched off: all goes
    assert stored(engine) == 0


def test_content_with_a_nul_character_or_a_long_route_costs_neither_answer_nor_record(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "cem")
    _key_id, key = create_key(engine, "cem")
    gateway = Gateway(engine, content_days=1)
    with serve(create_app(backend, gateway=gateway)) as url:
        answer = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": MODEL_NAME, "max_tokens": 2,
                  "messages": [{"role": "user", "content": "a\u0000b"}]},
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in export(engine)] == [200]
    assert stored(engine) == 1  # PostgreSQL's text holds no NUL: it is replaced, not lost
    gateway.record("/v1/collections/" + "x" * 60 + "/answer", 404, "allowed")
    assert len(list(export(engine))[-1]["route"]) == 40
