"""A refused model call is recorded under the id its answer would have had (`chatcmpl-…`),
and the client now learns that id: the error object's `id`, beside `request_id` (the
`x-request-id` header, which OpenAI's client shows as the error's request id). Before, the
429's record carried a `chatcmpl-…` id that the client never saw. Whichever of the two a
person quotes, the operator finds that one record."""

from __future__ import annotations

import openai
import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from gemeingut.serve.gateway.quotas import set_limits
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Hallo"}]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_429_names_the_id_of_its_audit_record(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    url, gateway = governed
    key_id, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "key", key_id, requests_per_minute=1)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=1)
    refusals = []
    for stream in (False, True):
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(
                model=MODEL_NAME, messages=HELLO, max_tokens=1, stream=stream
            )
        refusals.append(refused.value)
    with pytest.raises(openai.RateLimitError) as completion:
        client.completions.create(model=MODEL_NAME, prompt="Hallo", max_tokens=1)
    refusals.append(completion.value)

    for error, prefix in zip(refusals, ("chatcmpl-", "chatcmpl-", "cmpl-"), strict=True):
        record_id = error.body["id"]
        assert record_id.startswith(prefix) and error.request_id.startswith("req_")
        [by_record] = export(gateway.engine, request=record_id)
        [by_request] = export(gateway.engine, request=error.request_id)
        assert by_record == by_request
        assert (by_record["status"], by_record["decision"]) == (429, "quota:requests_per_minute")
        assert by_record["request_id"] == record_id
        assert by_record["x_request_id"] == error.request_id
