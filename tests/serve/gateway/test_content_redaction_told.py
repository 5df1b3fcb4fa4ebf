"""What logged content keeps of personal data is told wherever it matters: the Art. 30 record
says which kinds are replaced and whether names are kept, read from the database's setting;
and `/v1/policy` stays readable while that setting cannot be read, claiming no redaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.content_privacy import set_names_kept
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.records import ControllerFacts, as_json, read_record
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.retention import agree_retention
from gemeingut.serve.gateway.store import open_store

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_record_says_what_logged_content_keeps_as_the_database_sets_it(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    agree_retention(engine, 30, 7)  # content logged for 7 days
    record = read_record(engine, ControllerFacts(), NOW)
    german, english = render_record(record, "de"), render_record(record, "en")
    assert "Platzhalter (E-Mail-Adressen, IBANs" in german
    assert "Namen nach einer Anrede oder einem Titel" in german
    assert "Namen ohne Anrede oder Titel davor findet sie nicht" in german
    assert "placeholders (e-mail addresses, IBANs" in english
    assert "Person names are kept" not in english
    assert as_json(record)["content_names_kept"] is False
    assert "person_name" in as_json(record)["content_redacted"]

    set_names_kept(engine, True)  # `gemeingut admin content names --keep`
    record = read_record(engine, ControllerFacts(), NOW)
    german, english = render_record(record, "de"), render_record(record, "en")
    assert "Personennamen bleiben erhalten" in german
    assert "Namen nach einer Anrede" not in german and "Platzhalter (E-Mail-Adressen" in german
    assert "Person names are kept, as this deployment decided" in english
    assert as_json(record)["content_names_kept"] is True
    assert "person_name" not in as_json(record)["content_redacted"]


def test_a_record_without_content_logging_claims_no_redaction(store_url: str) -> None:
    record = read_record(open_store(store_url), ControllerFacts(), NOW)
    assert "Platzhalter" not in render_record(record, "de")
    assert as_json(record)["content_redacted"] is None


def test_the_policy_stays_readable_while_the_setting_cannot_be_read(
    store_url: str,
    backend: TransformersBackend,
    serve: Callable[[FastAPI], AbstractContextManager[str]],
) -> None:
    engine = open_store(store_url)
    with serve(create_app(backend, gateway=Gateway(engine, content_days=7))) as url:
        before = httpx.get(f"{url}/v1/policy").json()["audit_log"]
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE settings")  # the database fails to answer
        down = httpx.get(f"{url}/v1/policy")
    assert before["content_redaction_known"] is True and before["content_redacted"]
    assert down.status_code == 200, down.text
    terms = down.json()["audit_log"]
    assert terms["content_redaction_known"] is False
    assert not {"content_redacted", "content_names_kept", "content_text"} & set(terms)
    assert terms["content"] is True and terms["content_retention_days"] == 7
