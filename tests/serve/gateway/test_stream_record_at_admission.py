"""A stream's audit record is opened in the transaction that reserves its quota. A stream that
then fails before its first byte (a full queue, a prompt the model cannot take) completes that
record with its status, once: no second record, none left `unfinished`, and what it reserved
given back."""

from __future__ import annotations

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_gateway_http import Serve


def _stream(url: str, key: str, content: str = "Hallo") -> httpx.Response:
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 4,
        "stream": True,
    }
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)


@pytest.mark.usefixtures("fresh_minute")
def test_a_stream_that_fails_before_its_first_byte_completes_its_one_record(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", concurrent_streams=1, requests_per_minute=9)
    app = create_app(backend, gateway=Gateway(engine), max_waiting=0, max_running=1)
    taken = app.state.queue.admit()  # the one place is taken, as by a long answer
    with serve(app) as url:
        for _ in range(2):  # the one stream place is given back each time
            busy = _stream(url, key)
            assert busy.status_code == 503 and busy.json()["error"]["code"] == "queue_full"
        taken.release()
        too_long = _stream(url, key, content="Hallo " * 300)  # past the context
        assert too_long.status_code == 400
        answered = _stream(url, key)
        assert answered.status_code == 200 and "data: [DONE]" in answered.text
    records = [(r["status"], r["decision"], r["duration_ms"] is None) for r in export(engine)]
    assert records == [
        (503, "queue_full", False),
        (503, "queue_full", False),
        (400, "context_length_exceeded", False),  # the model could not take it
        (200, "allowed", False),
    ]
    today = usage(engine, "user", "anna", utcnow())
    assert today["open_streams"] == 0
    assert today["requests_this_minute"] == 2  # a full queue costs no request of the minute
