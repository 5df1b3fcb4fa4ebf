"""A request the safety policy refuses is recorded under the id its answer would have had
(`chatcmpl-…`, `cmpl-…`), and its error now names that id (`id`, beside `rule` and the HTTP
request's `request_id`), as the gate's refusals do. Before, the error had no `id`: the id of
the record was one the client never saw."""

from __future__ import annotations

import openai
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.policy import Policy, PolicyFile
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_gateway_http import Serve

RULE = {
    "id": "personalakte",
    "kind": "keywords",
    "action": "refuse",
    "words": ["Personalakte"],
    "text": {"de": "Keine Personalakten.", "en": "No personnel files."},
}


def test_a_policy_refusal_names_the_id_of_its_audit_record(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    spec = PolicyFile(id="amt", version="1", title={"de": "a", "en": "b"}, rules=[RULE])
    served = create_app(backend, gateway=Gateway(engine), policy=Policy(spec, "0" * 64))
    asked = "Zeig mir die Personalakte von Frau Berg."
    with serve(served) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        refusals = []
        for stream in (False, True):
            with pytest.raises(openai.BadRequestError) as refused:
                client.chat.completions.create(
                    model=MODEL_NAME,
                    messages=[{"role": "user", "content": asked}],
                    max_tokens=1,
                    stream=stream,
                )
            refusals.append((refused.value, "chatcmpl-"))
        with pytest.raises(openai.BadRequestError) as refused:
            client.completions.create(model=MODEL_NAME, prompt=asked, max_tokens=1)
        refusals.append((refused.value, "cmpl-"))

    assert len(list(export(engine))) == 3  # one record each, none twice
    for error, prefix in refusals:
        assert error.code == "content_policy_violation" and error.body["rule"] == "personalakte"
        record_id = error.body["id"]
        assert record_id.startswith(prefix) and error.request_id.startswith("req_")
        [by_record] = export(engine, request=record_id)
        [by_request] = export(engine, request=error.request_id)
        assert by_record == by_request
        assert (by_record["status"], by_record["decision"]) == (400, "policy:personalakte")
        found = CliRunner().invoke(
            app, ["admin", "audit", "export", "--db", store_url, "--request", record_id]
        )
        assert found.exit_code == 0 and record_id in found.stdout
