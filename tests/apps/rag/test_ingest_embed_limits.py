"""`gemeingut rag ingest --embed URL` against a server whose requests-per-minute limit refuses
it. The shared endpoint client waits out a short Retry-After (saying so) and asks again, a
bounded number of times; here that is checked for ingest, which had no test of it. Real HTTP
on loopback, a real SQLite gateway, the tiny model; `ShortWaits` (tests.apps.short_waits)
stands in for the end of the minute. The refusals are the server's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.office_server import OfficeServer, office_server
from tests.apps.rag.documents import write_markdown
from tests.test_cli import invoke


class Embedding(OfficeServer):
    def ingest(self):
        docs = self.root.parent / "docs"
        return invoke(
            "rag", "ingest", "v", docs, "--root", self.root, "--group", "amt",
            "--embed", f"{self.url}/v1",
        )  # fmt: skip

    def use_up_the_minute(self) -> None:
        """A limit of one request a minute, and that request made, early enough in its UTC
        minute that the ingest after it still meets the limit (near the minute's end the next
        window opened before the ingest asked, and no 429 came)."""
        set_limits(self.store, "user", "anna", requests_per_minute=1)
        second = datetime.now(UTC).second
        if second >= 45:
            time.sleep(61 - second)
        made = self.post("/v1/embeddings", {"model": "winzig", "input": "Frist"})
        assert made.status_code == 200, made.text

    def statuses(self) -> list[int]:
        return [r["status"] for r in export(self.store) if r["route"] == "/v1/embeddings"]


@pytest.fixture
def embedding(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Embedding]:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_markdown(docs / "hinweise.md")
    with office_server(model_dir, tmp_path, Embedding, memo=None, short_waits=True) as served:
        monkeypatch.setenv("GEMEINGUT_API_KEY", served.keys["anna"][1])
        yield served


def said(result) -> str:
    return " ".join(result.output.split())


def test_an_ingest_waits_out_a_minutes_limit_and_says_so(embedding: Embedding) -> None:
    embedding.use_up_the_minute()
    embedding.waits.shorten = embedding.waits.lift = True  # the minute ends while it waits
    result = embedding.ingest()
    shown = said(result)
    assert result.exit_code == 0, shown
    assert embedding.statuses() == [200, 429, 200]  # the minute's request, refused, asked again
    assert (
        "/v1/embeddings antwortete 429: die Grenze „Anfragen pro Minute“ von Person anna" in shown
    )
    assert "warte 0 s (Retry-After), dann erneute Anfrage (1 von 3)" in shown
    listed = json.loads(invoke("rag", "list", "--root", embedding.root, "--json").stdout)
    assert listed[0]["embedder"] == "winzig" and listed[0]["chunks"] == 2


def test_an_ingest_whose_limit_stays_stops_after_three_waits(embedding: Embedding) -> None:
    embedding.use_up_the_minute()
    embedding.waits.shorten = True
    result = embedding.ingest()
    shown = said(result)
    assert result.exit_code == 2, shown
    assert embedding.statuses() == [200, 429, 429, 429, 429]  # three waits, then no more
    assert [f"({n} von 3)" in shown for n in (1, 2, 3)] == [True] * 3
    assert "nach Warten 3-mal erneut gefragt; versuchen Sie es um" in shown
    assert "Traceback" not in shown
    listed = json.loads(invoke("rag", "list", "--root", embedding.root, "--json").stdout)
    assert listed == []  # no collection without its vectors
