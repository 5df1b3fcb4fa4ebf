"""One key for every client: the endpoints `rag` and `assist` call read GEMEINGUT_API_KEY, and
where it is not set OPENAI_API_KEY, which the `openai` client, lm-eval and `gemeingut audit`
read (a user who set that one got a 401 from `rag query --answer`)."""

from __future__ import annotations

import pytest

from gemeingut.apps.rag.collection import embedder_spec
from gemeingut.apps.rag.endpoint import endpoint_key


def test_the_openai_key_serves_where_no_gemeingut_key_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GEMEINGUT_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "gg_openai")
    assert endpoint_key() == "gg_openai"
    meta = {"name": "c", "embedder": {"source": "http://127.0.0.1:1/v1", "model": "m"}}
    assert embedder_spec(meta).api_key == "gg_openai"
    monkeypatch.setenv("GEMEINGUT_API_KEY", "gg_own")  # named for us: it wins
    assert endpoint_key() == "gg_own"
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("GEMEINGUT_API_KEY")
    assert endpoint_key() is None
