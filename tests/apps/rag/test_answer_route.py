"""`POST /v1/collections/{name}/answer` on a governed server: the served model answers from the
caller's collection, its citations are checked, and the call is audited and counted like any
model call; another group's collection does not exist; no match means no model call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.apps.rag.documents import write_pdf
from tests.http_server import running_server

QUESTION = "Wie lange ist die Frist für den Eingang der Angebote?"


@pytest.fixture(scope="module")
def server(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("answers")
    (root / "akten").mkdir()
    write_pdf(root / "akten" / "leitfaden.pdf")
    ingest(root / "collections", "vergabe", [root / "akten"], groups=["einkauf"])
    engine = open_store(str(root / "gateway.db"))
    for user, group in (("eva", "einkauf"), ("paul", "personalamt")):
        add_group(engine, group)
        add_user(engine, user, (group,))
    keys = {user: create_key(engine, user)[1] for user in ("eva", "paul")}
    gateway = Gateway(engine)
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    with running_server(
        create_app(backend, gateway=gateway, collections=root / "collections")
    ) as url:
        yield {"url": url, "keys": keys, "gateway": gateway}


def ask(server: dict, user: str, question: str = QUESTION, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server['url']}/v1/collections/vergabe/answer",
        json={"question": question, "max_tokens": 30},
        headers={"Authorization": f"Bearer {server['keys'][user]}", **headers},
        timeout=120,
    )


def test_the_answer_comes_with_its_sources_and_checked_citations(server: dict) -> None:
    answered = ask(server, "eva")
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["asked_model"] and body["usage"]["completion_tokens"] >= 1
    assert body["sources"][0]["n"] == 1
    assert {s["document"] for s in body["sources"]} == {"akten/leitfaden.pdf"}
    assert body["sources"][0]["page"] == 2  # the page with the deadline ranks first
    # the random model cites nothing: the answer is marked as without evidence
    assert body["supported"] is False and body["citations"] == []
    assert body["status"] == "no_citation"
    assert body["problems"] == ["Die Antwort belegt nichts mit den Quellen."]
    english = ask(server, "eva", **{"Accept-Language": "en"}).json()
    assert english["problems"] == ["The answer cites none of the sources."]
    records = [r for r in export(server["gateway"].engine) if r["route"].endswith("/answer")]
    assert records and all(r["status"] == 200 and r["model"] == "winzig" for r in records)
    assert all(r["completion_tokens"] >= 1 for r in records)


def test_another_groups_collection_is_not_there_and_no_match_asks_no_model(server: dict) -> None:
    hidden = ask(server, "paul")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["message"] == "keine Sammlung „vergabe“"
    nothing = ask(server, "eva", question="Quantenchromodynamik")
    assert nothing.status_code == 200
    assert nothing.json()["asked_model"] is False and nothing.json()["status"] == "no_citation"
    assert nothing.json()["answer"].startswith("Die Sammlung enthält keine Quelle")


def test_a_memo_is_written_section_by_section_each_call_audited(server: dict) -> None:
    def draft(user: str, **body: object) -> httpx.Response:
        return httpx.post(
            f"{server['url']}/v1/assist/draft",
            json={"kind": "vermerk", "collection": "vergabe", "subject": QUESTION, **body},
            headers={"Authorization": f"Bearer {server['keys'][user]}"},
            timeout=300,
        )

    before = len(list(export(server["gateway"].engine)))
    written = draft("eva")
    assert written.status_code == 200, written.text
    memo = written.json()
    assert [s["heading"] for s in memo["sections"]] == ["Sachverhalt", "Bewertung", "Vorschlag"]
    assert memo["asked_model"] and not memo["supported"]  # the random model cites nothing
    assert all(
        s["problems"] == ["Dieser Abschnitt nennt keine der Quellen."] for s in memo["sections"]
    )
    assert all(s["status"] == "no_citation" and s["citations"] == [] for s in memo["sections"])
    assert memo["sources"][0]["page"] == 2
    assert memo["markdown"].startswith(f"# Vermerk: {QUESTION}\n")
    records = list(export(server["gateway"].engine))[before:]
    assert [r["route"] for r in records] == ["/v1/assist/draft"] * 3  # one model call a section
    assert all(r["model"] == "winzig" and r["completion_tokens"] >= 1 for r in records)
    assert draft("paul").status_code == 404  # another group's collection is not there
    assert draft("eva", kind="brief").status_code == 400


def test_metrics_count_an_answer_under_the_model_that_gave_it(server: dict) -> None:
    assert ask(server, "eva").status_code == 200
    text = httpx.get(f"{server['url']}/metrics").text
    answers = {
        s.labels["model"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "gemeingut_requests_total"
        and s.labels["route"] == "/v1/collections/{name}/answer"
        and s.labels["status"] == "200"
    }
    assert answers.get("winzig", 0) >= 1  # not model="" (no model named) nor route="other"
