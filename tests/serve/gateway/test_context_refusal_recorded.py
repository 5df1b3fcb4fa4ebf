"""A request refused because its answer cannot fit the model's context is recorded as what
the client is told (`code: context_length_exceeded`), as the operator's guide says ("a 400
recorded as context_length_exceeded"): the check refuses before any admission, and the record
made for it said only what the status says, `invalid_request`."""

from __future__ import annotations

import openai
import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from tests.serve.conftest import MODEL_NAME


def test_max_tokens_beyond_the_context_is_recorded_as_such(governed: tuple[str, Gateway]) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=10**6
        )
    assert refused.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as unreadable:  # no check of its own: the status
        client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=-1
        )
    assert unreadable.value.code != "context_length_exceeded"

    records = [(r["route"], r["status"], r["decision"]) for r in export(gateway.engine)]
    assert records == [
        ("/v1/chat/completions", 400, "context_length_exceeded"),
        ("/v1/chat/completions", 400, "invalid_request"),
    ]
