"""The routes beside the completions take numbers as strictly and say every wrong value in the
reader's words: `"k": true` was a search for one passage, `"minutes": true` a one-minute
speech, and a union field (`prompt`, `input`, `stop`, `content`) whose value fits none of its
kinds was told each kind's mismatch (`prompt: must be a text; prompt.0: …`) instead of what it
takes. Each route runs on one real server with a collection, a findings file and a trace index;
each field of its body gets every wrong value, and a right body is still answered."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.trace_route import build_trace_index
from tests.http_server import running_server
from tests.serve.conftest import MODEL_NAME
from tests.serve.wrong_values import post, sweep, with_value

QUESTION = "Frist für Angebote"
FINDING = {"category": "wrong", "prompt": "Wie lang ist die Frist?", "response": "Ein Jahr."}
# path → a body the route answers with 200, and the fields (dotted: nested) to send wrong values
ROUTES: dict[str, tuple[dict, list[str]]] = {
    "/v1/embeddings": (
        {"model": MODEL_NAME, "input": "Hallo"},
        ["model", "input", "encoding_format", "dimensions", "user"],
    ),
    "/v1/lens": ({"prompt": "Hallo", "top": 2}, ["model", "prompt", "top"]),
    "/tokenize": (
        {"prompt": "Hallo"},
        ["model", "prompt", "messages", "add_special_tokens", "add_generation_prompt"],
    ),
    "/detokenize": ({"tokens": [5, 6]}, ["model", "tokens"]),
    "/v1/collections/vergabe/search": ({"query": QUESTION, "k": 2}, ["query", "k", "mode"]),
    "/v1/collections/vergabe/answer": (
        {"question": QUESTION, "k": 1, "max_tokens": 2},
        ["question", "k", "mode", "max_tokens"],
    ),
    "/v1/assist/draft": (
        {
            "kind": "vermerk",
            "collection": "vergabe",
            "subject": QUESTION,
            "k": 1,
            "sections": ["sachverhalt"],
            "given": [{"id": "bewertung", "text": "Die Frist genügt [1].", "allowance_tokens": 9}],
        },
        [
            *("kind", "collection", "subject", "audience", "occasion", "minutes", "points", "k"),
            *("sections", "given", "given.0.id", "given.0.text", "given.0.allowance_tokens"),
        ],
    ),
    "/v1/assist/tender": ({"text": "Die Angebotsfrist beträgt 30 Tage."}, ["text", "file"]),
    "/v1/trace": (
        {"text": "offene Daten mit allen Schulen", "min_tokens": 2},
        ["text", "min_tokens"],
    ),
    "/v1/findings": (FINDING, ["category", "prompt", "response", "note", "model"]),
}
NUMBERS = [  # route, field, a value that is no whole number
    ("/v1/embeddings", "dimensions", True),
    ("/v1/lens", "top", True),
    ("/detokenize", "tokens.0", True),
    ("/v1/collections/vergabe/search", "k", True),
    ("/v1/collections/vergabe/answer", "k", False),
    ("/v1/collections/vergabe/answer", "max_tokens", 1e308),
    ("/v1/assist/draft", "minutes", True),
    ("/v1/assist/draft", "k", "2"),
    ("/v1/assist/draft", "given.0.allowance_tokens", True),
    ("/v1/trace", "min_tokens", True),
]

PROMPTS = (
    "muss ein Text, eine Liste von Texten, eine Liste von Token-IDs (ganzen Zahlen) oder eine "
    "Liste von Listen von Token-IDs sein",
    "must be a text, a list of texts, a list of token ids (whole numbers) or a list of lists of "
    "token ids",
)
TEXTS = ("muss ein Text oder eine Liste von Texten sein", "must be a text or a list of texts")
PARTS = (
    'muss ein Text oder eine Liste von Teilen {"type": "text", "text": "…"} sein',
    'must be a text or a list of parts {"type": "text", "text": "…"}',
)
CHAT = {"model": MODEL_NAME, "max_tokens": 1, "messages": [{"role": "user", "content": "Hallo"}]}
UNIONS = [  # route, body, the field as named, what it takes (German, English)
    ("/v1/completions", {"model": MODEL_NAME, "prompt": [True, False]}, "prompt", PROMPTS),
    ("/v1/completions", {"model": MODEL_NAME, "prompt": [[1, "x"]]}, "prompt", PROMPTS),
    ("/v1/completions", {"model": MODEL_NAME, "prompt": {"a": [1]}}, "prompt", PROMPTS),
    ("/v1/embeddings", {"model": MODEL_NAME, "input": [1.5]}, "input", PROMPTS),
    ("/v1/chat/completions", {**CHAT, "stop": True}, "stop", TEXTS),
    ("/v1/chat/completions", {**CHAT, "stop": ["a", 7]}, "stop", TEXTS),
    (
        "/v1/chat/completions",
        with_value(CHAT, "messages.0.content", 5),
        "messages.0.content",
        PARTS,
    ),
]


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[httpx.Client]:
    """One server with every route: a collection `vergabe`, a findings file, a trace index; its
    model a copy of the tiny one whose context holds a draft's instructions and sources."""
    tmp = tmp_path_factory.mktemp("routes")
    long = tmp / "model"
    shutil.copytree(model_dir, long)
    config = json.loads((long / "config.json").read_text())
    (long / "config.json").write_text(json.dumps({**config, "max_position_embeddings": 4096}))
    backend = TransformersBackend(long, model_name=MODEL_NAME)
    folder = tmp / "vergabe"
    folder.mkdir()
    (folder / "notiz.txt").write_text("Die Frist für Angebote beträgt 30 Tage.", encoding="utf-8")
    embed = EmbedderSpec(str(model_dir))
    ingest(tmp / "collections", "vergabe", [folder], groups=["einkauf"], embed=embed)
    corpus = tmp / "train.jsonl"
    document = {"id": "n-1", "text": "Die Bibliothek teilt offene Daten mit allen Schulen."}
    corpus.write_text(json.dumps(document) + "\n", encoding="utf-8")
    app = create_app(
        backend,
        collections=tmp / "collections",
        findings=FindingsDesk(tmp / "findings.jsonl"),
        trace=build_trace_index((corpus,), backend),
    )
    with running_server(app) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_a_right_body_is_answered(http: httpx.Client, path: str) -> None:
    body, _fields = ROUTES[path]
    answer = post(http, path, body)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("path", "field", "value"), NUMBERS)
def test_true_and_texts_are_no_whole_numbers(
    http: httpx.Client, path: str, field: str, value: object
) -> None:
    body = with_value(ROUTES[path][0], field, value)
    said = [post(http, path, body, language) for language in ("de", "en")]
    assert [a.status_code for a in said] == [400, 400], said[0].text
    assert [a.json()["error"]["message"] for a in said] == [
        f"{field}: muss eine ganze Zahl sein",
        f"{field}: must be a whole number",
    ]


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_no_wrong_value_of_any_field_is_a_server_error_or_said_in_pydantics_words(
    http: httpx.Client, path: str
) -> None:
    body, fields = ROUTES[path]
    said = sweep(http, path, body, fields)
    assert [s for s in said if s.status >= 500] == []
    refused = [s for s in said if s.status == 400]
    assert {s.field for s in refused} == set(fields)
    assert [s for s in refused if s.english()] == []


@pytest.mark.parametrize(("path", "body", "field", "takes"), UNIONS)
def test_a_union_field_says_in_one_sentence_what_it_takes(
    http: httpx.Client, path: str, body: dict, field: str, takes: tuple[str, str]
) -> None:
    said = [post(http, path, body, language) for language in ("de", "en")]
    assert [a.status_code for a in said] == [400, 400]
    assert [a.json()["error"]["param"] for a in said] == [field, field]
    assert [a.json()["error"]["message"] for a in said] == [f"{field}: {t}" for t in takes]


def test_a_value_of_one_of_the_kinds_is_told_what_is_wrong_inside_it(http: httpx.Client) -> None:
    """A list of texts, one not Unicode: that text is named, not that the list is no text."""
    body = {"model": MODEL_NAME, "max_tokens": 1, "prompt": ["Hallo", "\ud800"]}
    said = post(http, "/v1/completions", body, "en").json()["error"]
    assert said["param"] == "prompt.1"
    assert said["message"] == (
        "prompt.1: character 0 ('\\ud800') is half of a UTF-16 surrogate pair, not text; send "
        "valid Unicode"
    )


def test_a_finding_is_triaged_and_its_decision_takes_no_number_for_a_text(
    http: httpx.Client,
) -> None:
    finding = post(http, "/v1/findings", FINDING).json()["id"]
    path = f"/v1/findings/{finding}/triage"
    said = sweep(http, path, {"status": "confirmed"}, ["status", "note", "duplicate_of"])
    assert [s for s in said if s.status >= 500] == []
    assert {s.field for s in said if s.status == 400} == {"status", "note", "duplicate_of"}
    assert [s for s in said if s.status == 400 and s.english()] == []
    assert post(http, path, {"status": "rejected", "note": "stimmt"}).status_code == 200
