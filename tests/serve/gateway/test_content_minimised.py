"""The opt-in content log keeps no more than it must (Art. 5(1)(c) DSGVO), and an Art. 15
export reads as the conversation: what a person wrote is kept as a community finding keeps it
(person names and other personal data replaced), unless the deployment decided to keep names,
which the start, /v1/policy and `admin content names` say; a chat is kept as its messages
(role, content) and a completion as its prompt, never inside the model's chat template."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log
from gemeingut.serve.runner import _shared_periods
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SYSTEM = "Sie beantworten Fragen von Bürgerinnen und Bürgern."
LETTER = "Schreiben Sie eine Antwort an Frau Dr. Anna Becker, anna.becker@example.org."
NAMED = "Frau Dr. Anna Becker"
runner = CliRunner()


def exported(store_url: str, user: str) -> list[dict]:
    result = runner.invoke(app, ["admin", "content", "export", "--user", user, "--db", store_url])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def names(store_url: str, *args: str):
    return runner.invoke(app, ["admin", "content", "names", *args, "--db", store_url])


def test_export_holds_the_messages_as_written_and_the_answer_not_the_chat_template(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _key_id, key = create_key(engine, "anna")
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Guten Tag"}]
    with serve(create_app(backend, gateway=Gateway(engine, content_days=7))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        chat = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=4)
        pieces = client.chat.completions.create(
            model=MODEL_NAME, messages=messages, max_tokens=4, stream=True
        )
        streamed = "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)
        completion = client.completions.create(model=MODEL_NAME, prompt="Die Katze", max_tokens=3)
    rows = exported(store_url, "anna")
    assert [row.get("messages") for row in rows[:2]] == [messages, messages]
    assert [row.get("prompt") for row in rows] == [None, None, "Die Katze"]
    answers = [chat.choices[0].message.content, streamed, completion.choices[0].text]
    # a random model may answer a NUL, which PostgreSQL's text cannot hold: the log replaces it
    assert [row["answer"] for row in rows] == [a.replace("\x00", "\ufffd") for a in answers]
    assert not any("<|im_start|>" in json.dumps(row) for row in rows)  # the template's marker
    assert set(rows[2]) == {"at", "request_id", "route", "model", "prompt", "answer"}


def test_a_name_is_kept_as_a_finding_keeps_it_unless_the_deployment_keeps_names(
    store_url: str, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    add_user(engine, "ben")
    _key_id, key = create_key(engine, "ben")
    gateway = Gateway(engine, content_days=7)
    served = create_app(
        backend,
        gateway=gateway,
        policy=Policy.load("default"),  # it replaces the e-mail address, not the name
        findings=FindingsDesk(tmp_path / "findings.jsonl"),
    )
    auth = {"Authorization": f"Bearer {key}"}
    question = [{"role": "user", "content": LETTER}]
    with serve(served) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        client.chat.completions.create(model=MODEL_NAME, messages=question, max_tokens=2)
        finding = httpx.post(
            f"{url}/v1/findings",
            json={"category": "privacy", "prompt": LETTER, "response": "-"},
            headers=auth,
        ).json()
        before = httpx.get(f"{url}/v1/policy").json()["audit_log"]
        kept = names(store_url, "--keep")
        after = httpx.get(f"{url}/v1/policy").json()["audit_log"]  # no restart
        client.completions.create(model=MODEL_NAME, prompt=LETTER, max_tokens=2)
    logged, then = exported(store_url, "ben")
    assert logged["messages"][0]["content"] == finding["prompt"]  # as the finding keeps it
    assert NAMED not in json.dumps(logged) and "<PERSON_NAME>" in finding["prompt"]
    assert "person_name" in before["content_redacted"] and before["content_names_kept"] is False
    assert kept.exit_code == 0, kept.output
    assert after["content_names_kept"] is True and "person_name" not in after["content_redacted"]
    assert "person names are kept" in after["content_text"]["en"]
    assert NAMED in then["prompt"] and "<EMAIL>" in then["prompt"]  # names alone are kept
    changes = [r for r in export(engine) if r["route"] == "admin:content-names"]
    assert [r["decision"] for r in changes] == ["keep"]


def test_the_start_and_the_command_say_what_logged_content_keeps_of_names(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(store_url).dispose()
    off = names(store_url)  # no content logged yet: said beside what would be kept
    assert off.exit_code == 0 and "keine Inhalte protokolliert" in off.output, off.output
    _shared_periods(store_url, None, 7, lambda _key: None)
    said = capsys.readouterr().err  # names replaced, said with every kind replaced
    assert "Namen nach einer Anrede oder einem Titel" in said, said
    assert "Personennamen bleiben erhalten" not in said
    assert names(store_url, "--keep").exit_code == 0
    _shared_periods(store_url, None, None, lambda _key: None)  # the stored period applies
    said = capsys.readouterr().err
    assert "Personennamen bleiben erhalten" in said, said
    shown = names(store_url)
    assert shown.exit_code == 0 and "Personennamen bleiben erhalten" in shown.output
    assert "keine Inhalte protokolliert" not in shown.output
    both = names(store_url, "--keep", "--redact")
    assert both.exit_code != 0 and "--keep" in both.output and "Traceback" not in both.output


def test_a_prompt_like_the_stored_form_and_a_row_kept_before_it_export_as_their_text(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "cem")
    _key_id, key = create_key(engine, "cem")
    with serve(create_app(backend, gateway=Gateway(engine, content_days=1))) as url:
        openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0).completions.create(
            model=MODEL_NAME, prompt='{"prompt": 1}', max_tokens=1
        )
    assert [row["prompt"] for row in exported(store_url, "cem")] == ['{"prompt": 1}']
    for earlier in ("user: Hallo", '{"prompt":"Hallo"}'):  # as an earlier version stored it
        with engine.begin() as conn:
            conn.execute(content_log.update().values(prompt=earlier))
        (row,) = exported(store_url, "cem")
        assert row["prompt"] == earlier
