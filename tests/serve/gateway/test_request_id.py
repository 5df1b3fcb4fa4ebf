"""Support can match what a person got to its audit record: every response carries an
`x-request-id` header (an answer, a refusal, a stream, a refusal of the guard), an error body
names the same id in `error.request_id`, and the audit records of the request keep it
(`x_request_id`), found with `admin audit export --request`. The id is random; a reverse
proxy's id is taken only where it is a short safe token."""

from __future__ import annotations

import json
import re

import httpx
import openai
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Hallo"}]
OURS = re.compile(r"req_[0-9a-f]{28}")
NGINX_ID = "4f0c3b9e2a7d45e1b6c8d9f0a1b2c3d4"  # nginx's $request_id: 32 hex digits


def test_every_answer_and_refusal_names_the_id_its_audit_record_keeps(
    governed: tuple[str, Gateway], store_url: str
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    signed = {"authorization": f"Bearer {key}"}
    chat = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2}
    with httpx.Client(base_url=url, headers=signed, timeout=60) as http:
        answered = http.post("/v1/chat/completions", json=chat)
        with http.stream("POST", "/v1/chat/completions", json=chat | {"stream": True}) as stream:
            stream.read()
        refused = http.post("/v1/chat/completions", json=chat | {"temperature": 7})
        too_large = http.post(
            "/v1/chat/completions",
            content=b"x" * (5 * 1024 * 1024),
            headers={"content-type": "application/json"},
        )
        unknown_key = http.post(
            "/v1/chat/completions", json=chat, headers={"authorization": "Bearer gg_0_wrong"}
        )
        not_audited = http.get("/v1/models")
    responses = [answered, stream, refused, too_large, unknown_key]
    assert [r.status_code for r in responses] == [200, 200, 400, 413, 401]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(OURS.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)  # random, each
    for response in (refused, too_large, unknown_key):
        assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
    assert OURS.fullmatch(not_audited.headers["x-request-id"])
    records = list(export(gateway.engine))
    assert [r["x_request_id"] for r in records] == ids
    assert records[0]["request_id"] == answered.json()["id"]  # the answer's own id stays too

    found = CliRunner().invoke(
        cli_app, ["admin", "audit", "export", "--db", store_url, "--request", ids[2]]
    )
    assert found.exit_code == 0, found.output
    [line] = found.stdout.splitlines()
    assert json.loads(line)["x_request_id"] == ids[2] and json.loads(line)["status"] == 400
    by_answer_id = CliRunner().invoke(
        cli_app, ["admin", "audit", "export", "--db", store_url, "--request", answered.json()["id"]]
    )
    assert [json.loads(r)["x_request_id"] for r in by_answer_id.stdout.splitlines()] == ids[:1]
    records_of_processing = CliRunner().invoke(
        cli_app, ["admin", "audit", "records", "--db", store_url]
    )  # exit 1: the controller's facts are missing here
    assert "`x_request_id` ist die Kennung der HTTP-Anfrage" in records_of_processing.stdout


def test_a_proxys_id_is_kept_only_where_it_is_a_short_safe_token(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    sent = [NGINX_ID, "10.0.0.7", "a" * 33, "Frau Müller", "<script>", "abc"]
    kept = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for value in sent:
            response = http.post(
                "/v1/chat/completions",
                json={"model": MODEL_NAME, "messages": HELLO, "max_tokens": 1},
                headers={"authorization": f"Bearer {key}", "x-request-id": value.encode()},
            )
            assert response.status_code == 200
            kept.append(response.headers["x-request-id"])
    assert kept[0] == NGINX_ID
    assert all(OURS.fullmatch(i) for i in kept[1:])  # an address, too long, text: replaced
    assert [r["x_request_id"] for r in export(gateway.engine)] == kept


def test_an_open_server_names_its_requests_and_a_client_error_carries_the_id(
    server_url: str,
) -> None:
    client = openai.OpenAI(base_url=f"{server_url}/v1", api_key="none", max_retries=0)
    models = client.models.with_raw_response.list()
    assert OURS.fullmatch(models.headers["x-request-id"])
    try:
        client.chat.completions.create(model="gibt-es-nicht", messages=HELLO)
    except openai.NotFoundError as error:
        assert OURS.fullmatch(error.request_id or "")  # the SDK reads the header
        assert error.body["request_id"] == error.request_id
    else:
        raise AssertionError("an unknown model was answered")
