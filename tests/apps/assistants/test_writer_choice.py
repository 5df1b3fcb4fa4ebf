"""Drafts and answers from documents are written by the model a request names, as a chat names
it, else by the first model that writes and that the key may use: on a server started with an
encoder first and two language models beside it (`serve ENCODER --also LLM --also LLM`), over
real HTTP with a real SQLite gateway. An encoder named, a model not served, one the key may not
use and a key for the encoder alone are each refused with a 4xx that says why; `rag query
--answer` without `--model` asks the first model that writes, too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gemeingut.apps.rag.index import ingest
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.served import ModelEntry
from tests.apps.office_server import MEMO
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server
from tests.test_cli import invoke

SPEECH = {"kind": "rede", "collection": "amt", "subject": "Pauschale", "minutes": 1}
QUESTION = {"question": "Wie hoch ist die Pauschale für mobiles Arbeiten?", "max_tokens": 8}
ANSWER = "/v1/collections/amt/answer"


@pytest.fixture(scope="module")
def server(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("writers")
    (folder / "docs").mkdir()
    (folder / "docs" / "mobil.md").write_text(MEMO, encoding="utf-8")
    ingest(folder / "collections", "amt", [folder / "docs"], groups=["amt"])
    store = open_store(str(folder / "gateway.db"))
    add_group(store, "amt")
    for user in ("anna", "ben"):
        add_user(store, user, ("amt",))
    keys = {
        "anna": create_key(store, "anna")[1],
        "ben": create_key(store, "ben", models=("e5",))[1],
    }
    encoder = EncoderBackend(encoder_layout(make_sentence_bert(folder / "bert")), "e5")
    also = tuple(
        ModelEntry(TransformersBackend(long_model_dir, model_name=name))
        for name in ("schreiber", "zweiter")
    )
    app = create_app(encoder, gateway=Gateway(store), collections=folder / "collections", also=also)
    with running_server(app) as url:
        yield {"url": url, "keys": keys, "root": folder / "collections"}


def post(server: dict, path: str, body: dict, user: str = "anna", language: str = "de"):
    headers = {"authorization": f"Bearer {server['keys'][user]}", "accept-language": language}
    return httpx.post(f"{server['url']}{path}", json=body, headers=headers, timeout=300)


def requests_of(url: str, model: str, route: str) -> float:
    """The 200s `/metrics` counts for `model` on `route`: which model did the writing."""
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            wanted = {"model": model, "route": route, "status": "200"}
            if sample.name == "gemeingut_requests_total" and sample.labels == wanted:
                return sample.value
    return 0


def test_without_a_model_the_first_that_writes_writes(server: dict) -> None:
    drafted = post(server, "/v1/assist/draft", SPEECH)
    assert drafted.status_code == 200, drafted.text
    draft = drafted.json()
    assert draft["model"] == "schreiber" and draft["asked_model"]
    assert all(section["asked_model"] for section in draft["sections"])
    answered = post(server, ANSWER, QUESTION)
    assert answered.status_code == 200, answered.text
    answer = answered.json()
    assert answer["model"] == "schreiber" and answer["asked_model"]
    assert answer["usage"]["completion_tokens"] >= 1
    assert requests_of(server["url"], "schreiber", "/v1/collections/{name}/answer") == 1


def test_the_model_named_writes(server: dict) -> None:
    drafted = post(server, "/v1/assist/draft", {**SPEECH, "model": "zweiter"})
    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["model"] == "zweiter"
    answered = post(server, ANSWER, {**QUESTION, "model": "zweiter"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["model"] == "zweiter" and answered.json()["asked_model"]
    assert requests_of(server["url"], "zweiter", "/v1/collections/{name}/answer") == 1
    assert requests_of(server["url"], "zweiter", "/v1/assist/draft") == 1


@pytest.mark.parametrize("path", ["/v1/assist/draft", ANSWER])
def test_a_model_that_cannot_write_for_the_caller_is_refused(server: dict, path: str) -> None:
    body = SPEECH if path.endswith("draft") else QUESTION
    encoder = post(server, path, {**body, "model": "e5"})
    assert encoder.status_code == 400
    error = encoder.json()["error"]
    assert (error["code"], error["param"]) == ("model_cannot_write", "model")
    assert error["message"] == (
        "das Modell „e5“ erzeugt nur Embeddings und schreibt keinen Text; Modelle, die "
        "schreiben: „schreiber“, „zweiter“"
    )
    english = post(server, path, {**body, "model": "e5"}, language="en").json()["error"]
    assert english["message"].startswith("the model 'e5' only makes embeddings")
    unknown = post(server, path, {**body, "model": "drittes"})
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "model"
    forbidden = post(server, path, {**body, "model": "schreiber"}, user="ben")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["param"] == "model"
    none = post(server, path, body, user="ben")
    assert none.status_code == 400
    assert none.json()["error"]["code"] == "no_model_writes"
    assert none.json()["error"]["message"].startswith(
        "keines der Modelle, die dieser Schlüssel nutzen darf, schreibt Text"
    )


def test_the_command_line_answers_with_the_first_model_that_writes(
    server: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("GEMEINGUT_API_KEY", server["keys"]["anna"])
    before = requests_of(server["url"], "schreiber", "/v1/chat/completions")
    result = invoke(
        "rag", "query", "amt", QUESTION["question"], "--root", server["root"], "--answer",
        "--endpoint", f"{server['url']}/v1", "--json",
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output  # 1: the random model cites nothing
    assert json.loads(result.stdout)["asked_model"], result.output
    assert requests_of(server["url"], "schreiber", "/v1/chat/completions") == before + 1


def test_the_command_line_says_when_no_model_it_may_use_writes(
    server: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMEINGUT_API_KEY", server["keys"]["ben"])  # the encoder alone
    result = invoke(
        "rag", "query", "amt", QUESTION["question"], "--root", server["root"], "--answer",
        "--endpoint", f"{server['url']}/v1",
    )  # fmt: skip
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"{server['url']}/v1/models nennt kein Modell, das Text schreibt" in said
    assert "--model" in said and "Traceback" not in said
