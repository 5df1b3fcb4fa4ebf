"""A server says what the collection's embedding model read only the start of, as `rag ingest`
and `rag query` do: a search's and an answer's question longer than it reads (`question_cut`:
the tokens it reads, the characters of the question read and in all, and a `note` in the
request's language, handed back with a `given` answer), and an upload's chunks (its `note`).
Over real HTTP: an encoder served beside the writing model (it reads 24 tokens), and a remote
encoder that names a context of 48 tokens and counts none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.collection import open_collection
from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest
from gemeingut.apps.rag.prompted import question_text
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.apps.rag.test_query_cut_local_encoder import read_start
from tests.apps.rag.test_remote_context_fit import CONTEXT, LONG, QUESTION, SHORT
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint

READS = 24  # the tiny encoder's context, its CLS and SEP included
MIB = 1024 * 1024
OTHER_SHORT = "Der Bescheid kommt bald."


@pytest.fixture(scope="module")
def writer(long_model_dir: Path) -> TransformersBackend:
    return TransformersBackend(long_model_dir, model_name="schreiber")


@pytest.fixture(scope="module")
def served(writer: TransformersBackend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Collection `amt` embedded by the encoder `e5`, which the server serves beside the
    writing model; uploads allowed; no gateway (one person's server on loopback)."""
    folder = tmp_path_factory.mktemp("cuts")
    e5 = make_sentence_bert(folder / "e5")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "kurz.txt").write_text(SHORT, encoding="utf-8")
    root = folder / "collections"
    ingest(root, "amt", [docs], embed=EmbedderSpec(str(e5)))
    encoder = ModelEntry(EncoderBackend(encoder_layout(e5), "e5"))
    app = create_app(writer, collections=root, upload_max_bytes=MIB, also=(encoder,))
    with running_server(app) as url:
        yield {"url": url, "e5": e5, "root": root}


def post(url: str, path: str, language: str = "de", **body: object) -> dict:
    answered = httpx.post(
        f"{url}{path}", json=body, headers={"accept-language": language}, timeout=300
    )
    assert answered.status_code == 200, answered.text
    return answered.json()


def upload(url: str, name: str, filename: str, content: str, language: str = "de") -> dict:
    answered = httpx.post(
        f"{url}/v1/collections/{name}/documents",
        params={"filename": filename},
        content=content.encode("utf-8"),
        headers={"content-type": "application/octet-stream", "accept-language": language},
        timeout=300,
    )
    assert answered.status_code == 200, answered.text
    return answered.json()


def expected_cut(served: dict, words_searched: bool = False) -> dict:
    """What the dense search reads of `QUESTION`: its characters after the query prompt up to
    where the last token the encoder reads ends."""
    prompt = question_text(open_collection(served["root"], "amt").meta, "")
    kept = read_start(served["e5"], prompt + QUESTION) - len(prompt)
    assert prompt and 0 < kept < len(QUESTION)
    return {
        "context": READS,
        "kept": kept,
        "length": len(QUESTION),
        "words_searched": words_searched,
    }


def test_a_search_says_how_much_of_a_long_question_the_dense_search_read(served: dict) -> None:
    cut = expected_cut(served)
    path = "/v1/collections/amt/search"
    found = post(served["url"], path, query=QUESTION, mode="dense")
    assert found["question_cut"] == cut
    assert found["note"] == (
        f"Die Frage ist lang: Die Suche nach Bedeutung las nur ihre ersten {cut['kept']} von "
        f"{cut['length']} Zeichen."
    )
    english = post(served["url"], path, "en", query=QUESTION, mode="hybrid")
    assert english["question_cut"] == {**cut, "words_searched": True}
    assert english["note"] == (
        f"The question is long: the search by meaning read only its first {cut['kept']} of "
        f"{cut['length']} characters; the search by words read all of it."
    )
    for whole in (  # a question the model reads whole, or one that is not embedded at all
        post(served["url"], path, query=SHORT, mode="dense"),
        post(served["url"], path, query=QUESTION, mode="bm25"),
    ):
        assert (whole["question_cut"], whole["note"]) == (None, None)


def test_an_answer_says_it_and_again_when_handed_back_in_another_language(served: dict) -> None:
    cut = expected_cut(served, words_searched=True)
    path = "/v1/collections/amt/answer"
    answered = post(served["url"], path, question=QUESTION, max_tokens=4)
    assert answered["asked_model"] and answered["question_cut"] == cut
    assert answered["allowance_tokens"] is None
    assert answered["note"].startswith("Die Frage ist lang: Die Suche nach Bedeutung las")
    given = {
        "answer": answered["answer"],
        "sources": [source["id"] for source in answered["sources"]],
        "question_cut": answered["question_cut"],
    }
    again = post(served["url"], path, "en", question=QUESTION, model="schreiber", given=given)
    assert again["given"] and again["question_cut"] == cut
    assert again["note"].startswith("The question is long: the search by meaning read only")
    short = post(served["url"], path, question=SHORT, mode="dense", max_tokens=4)
    assert (short["question_cut"], short["note"]) == (None, None)


def test_a_handed_back_cut_that_is_not_the_question_s_is_refused(served: dict) -> None:
    """Its numbers would be said as the server's: more read than the question has, or the
    characters of another question."""
    path = "/v1/collections/amt/answer"
    for cut in (
        {"context": READS, "kept": 900, "length": 5, "words_searched": True},
        {"context": READS, "kept": 3, "length": len(QUESTION), "words_searched": True},
    ):
        given = {"answer": "Das Amt prüft.", "sources": [], "question_cut": cut}
        refused = httpx.post(
            f"{served['url']}{path}",
            json={"question": "Frist?", "model": "schreiber", "given": given},
            headers={"accept-language": "en"},
            timeout=60,
        )
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["param"] == "given.question_cut", error
        assert error["message"].startswith(
            f"given.question_cut says the search read {cut['kept']} of {cut['length']} "
            "characters, but the question has 6"
        ), error


def test_an_upload_says_how_many_of_its_chunks_the_encoder_read_the_start_of(
    served: dict,
) -> None:
    added = upload(served["url"], "amt", "Antrag.txt", LONG)
    assert (added["status"], added["chunks"]) == ("added", 1)
    assert added["note"] == (
        "Textabschnitte, von denen die Suche nach Bedeutung nur den Anfang las, weil sie länger "
        "sind, als ihr Modell auf einmal liest (die Suche nach Wörtern liest sie ganz): 1 von 1"
    )
    whole = upload(served["url"], "amt", "Bescheid.txt", OTHER_SHORT, "en")
    assert whole["note"] is None


def test_an_upload_to_a_remote_encoders_collection_says_it_too(
    writer: TransformersBackend, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kurz.txt").write_text(SHORT, encoding="utf-8")
    root = tmp_path / "collections"
    with embedding_endpoint() as engine:
        card = {"id": MODEL, "object": "model", "max_model_len": CONTEXT}
        engine.models = {"object": "list", "data": [card]}
        ingest(root, "fern", [docs], embed=EmbedderSpec(engine.url, MODEL))
        app = create_app(writer, collections=root, upload_max_bytes=MIB)
        with running_server(app) as url:
            added = upload(url, "fern", "Antrag.txt", LONG, "en")
    assert added["note"] == (
        "Passages of which the search by meaning read only the start, as they are longer than "
        "its model reads at once (the search by words reads them whole): 1 of 1"
    )


def test_a_pasted_ligature_question_cut_is_counted_in_its_own_characters(served: dict) -> None:
    """A question pasted from a PDF ("Pflicht" as "P\ufb02icht") is searched as its letters, one
    character longer per ligature: the cut is said in the question's characters as sent (it
    read the same words as of the typed question), and an answer handed back with it in
    another language is taken, not refused as another question's."""
    pasted = "Die P\ufb02icht und die Au\ufb00orderung: " + QUESTION
    typed = "Die Pflicht und die Aufforderung: " + QUESTION
    path = "/v1/collections/amt/answer"
    answered = post(served["url"], path, question=pasted, max_tokens=4)
    cut = answered["question_cut"]
    typed_cut = post(served["url"], path, question=typed, max_tokens=4)["question_cut"]
    assert typed_cut["kept"] > len("Die Pflicht und die Aufforderung: ")  # both ligatures read
    assert (cut["length"], cut["kept"]) == (len(pasted), typed_cut["kept"] - 2)
    given = {
        "answer": answered["answer"],
        "sources": [source["id"] for source in answered["sources"]],
        "question_cut": cut,
    }
    again = post(served["url"], path, "en", question=pasted, model="schreiber", given=given)
    assert again["question_cut"] == cut
