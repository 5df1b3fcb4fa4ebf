"""`rag ingest --embed http://…/v1` cuts a chunk longer than the remote encoder reads (the
`max_model_len` its `/v1/models` names) to the longest start of whole words the engine's own
`/tokenize` count takes, as a local encoder cuts it, instead of the engine refusing the ingest
(ours: `context_length_exceeded`) or cutting where nobody sees; the report says how many and
the limit. An engine without `/tokenize` gets starts of at most the context less `FRAME`
bytes, said as such. Real HTTP on loopback: a real `gemeingut serve` of an encoder whose
context is 24 tokens, and a vLLM-shaped engine without `/tokenize`."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from transformers import AutoTokenizer

from gemeingut.apps.rag.collection import open_collection
from gemeingut.apps.rag.remote_fit import FRAME
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import searched_text
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends.encoder import EncoderBackend
from tests.encoders.tiny_encoders import make_sentence_bert, sentence_bert_vectors
from tests.http_server import running_server
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint
from tests.test_cli import invoke

LONG = (
    "Der Bürger stellt den Antrag heute beim Amt. Die Frist für den Bescheid wird vom Amt "
    "geprüft, und der Bürger erhält den Bescheid nach der Frist vom Amt. Das Amt prüft den "
    "Antrag heute, der Bürger wartet auf den Bescheid."
)
SHORT = "Das Amt prüft die Frist."
CONTEXT = 48  # the vLLM-shaped engine's: its byte bound holds `SHORT`, not `LONG`
QUESTION = (  # longer than the engine reads: cut, too
    "Wer prüft den Antrag des Bürgers beim Amt und wann kommt der Bescheid nach der Frist, "
    "auf den der Bürger wartet?"
)


@pytest.fixture(scope="module")
def e5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sentence_bert(tmp_path_factory.mktemp("encoders") / "e5")


@pytest.fixture(scope="module")
def url(e5: Path) -> Iterator[str]:
    with running_server(create_app(EncoderBackend(encoder_layout(e5), "e5"))) as served:
        yield served


def documents(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lang.txt").write_text(LONG, encoding="utf-8")
    (docs / "kurz.txt").write_text(SHORT, encoding="utf-8")
    return docs


def longest_start(tokenizer, text: str, limit: int) -> str:
    """The longest start of whole words of `text` the tokenizer reads in `limit` tokens (its
    own CLS and SEP counted), counted here word by word."""
    words = text.split(" ")
    for n in range(len(words), 0, -1):
        start = " ".join(words[:n])
        if len(tokenizer(start)["input_ids"]) <= limit:
            return start
    raise AssertionError(text)


def test_chunks_longer_than_the_engine_reads_are_cut_by_its_count(
    url: str, e5: Path, tmp_path: Path
) -> None:
    card = httpx.get(f"{url}/v1/models/e5", timeout=30).json()
    limit = card["max_model_len"]
    assert limit == 24
    docs, root = documents(tmp_path), tmp_path / "c"
    ingested = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", f"{url}/v1")
    assert ingested.exit_code == 0, ingested.output
    said = " ".join(ingested.stderr.split())
    assert "ein Textabschnitt ist länger, als das Einbettungsmodell liest (24 Tokens)" in said
    assert "Anfangs; in „docs/lang.txt“ !" in said  # the document whose end dense search misses
    assert "/tokenize" not in said

    collection = open_collection(root, "amt")
    tokenizer = AutoTokenizer.from_pretrained(e5)
    sent = [
        longest_start(tokenizer, "passage: " + searched_text(c), limit) for c in collection.chunks
    ]
    assert (
        sum(
            s != "passage: " + searched_text(c)
            for s, c in zip(sent, collection.chunks, strict=True)
        )
        == 1
    )
    expected = sentence_bert_vectors(e5, sent)
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)

    asked = invoke("rag", "query", "amt", QUESTION, "--root", root, "--mode", "dense", "--json")
    assert asked.exit_code == 0, asked.output  # a long question is cut, too, and said to be
    short = invoke("rag", "query", "amt", SHORT, "--root", root, "--mode", "dense", "--json")
    assert short.exit_code == 0 and "Frage" not in short.stderr, short.output
    question = longest_start(tokenizer, "query: " + QUESTION, limit)
    assert question != "query: " + QUESTION
    cut = (
        f"Die Frage ist lang: Die Suche nach Bedeutung las nur ihre ersten "
        f"{len(question) - len('query: ')} von {len(QUESTION)} Zeichen."
    )
    assert cut in " ".join(asked.stderr.split())
    hits = search(collection, QUESTION, k=2, mode="dense")
    scores = expected @ sentence_bert_vectors(e5, [question])[0]
    np.testing.assert_allclose([h.score for h in hits], sorted(scores, reverse=True), atol=1e-5)


def test_an_engine_without_tokenize_gets_starts_within_the_byte_bound(tmp_path: Path) -> None:
    docs, root = documents(tmp_path), tmp_path / "c"
    with embedding_endpoint() as engine:
        card = {"id": MODEL, "object": "model", "max_model_len": CONTEXT}
        engine.models = {"object": "list", "data": [card]}
        ingested = invoke(
            "rag", "ingest", "amt", docs, "--root", root, "--embed", engine.url, "--json"
        )
        assert ingested.exit_code == 0, ingested.output
        report = json.loads(ingested.stdout)
        chunks = [searched_text(c) for c in open_collection(root, "amt").chunks]
        english = invoke(
            "--lang", "en", "rag", "ingest", "neu", docs, "--root", root, "--embed", engine.url
        )
    assert (report["chunks_cut"], report["context"], report["cut_by_bytes"]) == (1, CONTEXT, True)
    assert report["documents_cut"] == ["docs/lang.txt"]
    assert len(engine.texts) == 2 * len(chunks)
    assert all(len(t.encode("utf-8")) <= CONTEXT - FRAME for t in engine.texts)
    assert SHORT in engine.texts
    cut = [t for t in engine.texts if t != SHORT]
    assert all(LONG.startswith(t) and LONG[len(t)] == " " for t in cut)  # whole words
    said = " ".join(english.stderr.split())
    assert f"one chunk is longer than the embedding model reads ({CONTEXT} tokens)" in said
    assert f"cut to {CONTEXT - FRAME} bytes" in said


def xlmr_like(characters: str):
    """A tokenizer made as XLM-R's (multilingual-E5's) is: SentencePiece's Unigram model with
    NFKC, a word's start marked "▁", <s> … </s>; here every character its own piece, so that
    it makes as many tokens as its normalizer leaves characters."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    pieces = sorted(set("▁" + unicodedata.normalize("NFKC", characters)) - {" "})
    specials = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    tokenizer = Tokenizer(models.Unigram([*specials, *((p, -5.0) for p in pieces)], unk_id=3))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tokenizer


def test_the_byte_bound_holds_for_a_tokenizer_that_normalizes_one_character_into_many(
    tmp_path: Path,
) -> None:
    # NFKC makes "1⁄2" of "½" (3 tokens of 2 bytes) and eighteen characters of "ﷺ" (3 bytes)
    said = "Gruß ﷺ und ﷺ: die Frist beträgt ½ Jahr und ¾ Monat. " * 3
    docs, root = tmp_path / "docs", tmp_path / "c"
    docs.mkdir()
    (docs / "brueche.txt").write_text(said, encoding="utf-8")
    tokenizer = xlmr_like(said)
    with embedding_endpoint() as engine:
        card = {"id": MODEL, "object": "model", "max_model_len": CONTEXT}
        engine.models = {"object": "list", "data": [card]}
        ingested = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", engine.url)
    assert ingested.exit_code == 0, ingested.output
    assert engine.texts and all(said.startswith(t) for t in engine.texts)
    counts = [len(tokenizer.encode(t).ids) for t in engine.texts]
    assert max(counts) <= CONTEXT, counts
