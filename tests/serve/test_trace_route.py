"""`/v1/trace`: the served model's own training documents, indexed at start, answer where a
phrase occurs word for word, with document id and licence; a text too short to look for says
so; a span is shown in whole characters where byte-level tokens split one, and on the page in
whole words, found from the phrase's first word though it has no space before it."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

import httpx
import pytest
import torch
from fastapi import FastAPI
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from gemeingut.audit.span_trace import SpanIndex, trace
from gemeingut.model.tokenizer import train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.trace_route import build_trace_index

Serve = Callable[[FastAPI], AbstractContextManager[str]]
DOCUMENTS = [
    {"id": "bgb-1", "text": "Die Rechtsfähigkeit des Menschen beginnt mit der Vollendung der "
     "Geburt.", "license": "CC0-1.0", "source": "gesetze"},
    {"id": "notiz-7", "text": "Die Bibliothek teilt offene Daten mit allen Schulen der Stadt.",
     "license": "CC-BY-4.0", "source": "notizen"},
    {"id": 8, "text": "Ein Eintrag mit einer Zahl als Kennung und einer Quelle als Objekt.",
     "license": None, "source": {"url": "https://example.org"}},
]  # fmt: skip


def test_a_phrase_is_found_in_the_training_documents_with_their_licence(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    index = build_trace_index((corpus,), backend)
    with serve(create_app(backend, trace=index)) as url:
        info = httpx.get(f"{url}/v1/trace").json()
        found = httpx.post(
            f"{url}/v1/trace", json={"text": "Sie teilt offene Daten mit allen Schulen, sagt sie."}
        ).json()
        nothing = httpx.post(f"{url}/v1/trace", json={"text": "Quantenchromodynamik"}).json()
        other = httpx.post(
            f"{url}/v1/trace", json={"text": "mit einer Zahl als Kennung und einer Quelle"}
        ).json()
        too_long = httpx.post(f"{url}/v1/trace", json={"text": "x" * 4001})
    assert info["documents"] == 3 and info["tokens"] > 20
    [span] = found["spans"]
    assert "offene Daten mit allen Schulen" in span["text"] and span["occurrences"] == 1
    assert span["documents"] == [
        {
            "id": "notiz-7",
            "license": "CC-BY-4.0",
            "source": "notizen",
            "line": 1,
            "context": "Die Bibliothek teilt offene Daten mit allen Schulen der Stadt.",
        }
    ]
    assert nothing["spans"] == [] and nothing["tokens"] >= 4
    assert (nothing["reason"], nothing["min_tokens"]) == ("not_found", 4)
    assert nothing["message"] == (
        "Kein Teil dieses Textes von 4 oder mehr Tokens steht wörtlich in den Trainingsdaten."
    )
    assert (found["reason"], found["message"]) == (None, None)
    [odd] = other["spans"]
    assert odd["documents"] == [
        {
            "id": "8",
            "license": None,
            "source": "{'url': 'https://example.org'}",
            "line": 1,
            "context": "Ein Eintrag mit einer Zahl als Kennung und einer Quelle als Objekt.",
        }
    ]
    assert too_long.status_code == 400


def test_each_place_of_a_span_says_its_line_in_the_document(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    """A phrase three times in one handbook: three places of one document, each with its
    line, which tell them apart (before, the same name three times and nothing else)."""
    said = "Offene Daten mit allen Schulen der Stadt"
    handbook = f"# Handbuch\n{said}.\nZwischenzeile\n\nWieder: {said}.\nUnd {said}."
    corpus = tmp_path / "train.jsonl"
    rows = [DOCUMENTS[0], {"id": "handbuch/02.md", "text": handbook, "license": "CC0-1.0"}]
    corpus.write_text("".join(json.dumps(d) + "\n" for d in rows), encoding="utf-8")
    with serve(create_app(backend, trace=build_trace_index((corpus,), backend))) as url:
        found = httpx.post(f"{url}/v1/trace", json={"text": said}).json()
    [span] = found["spans"]
    assert span["occurrences"] == 3
    assert [(d["id"], d["line"]) for d in span["documents"]] == [
        ("handbuch/02.md", 2),
        ("handbuch/02.md", 5),
        ("handbuch/02.md", 6),
    ]


def test_a_place_s_line_is_that_of_its_own_document_where_ids_repeat(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    """Two sources may both have a document "a": a place's line is counted in the document the
    span was found in, not in the first one of that id (which here has more lines before)."""
    said = "Offene Daten mit allen Schulen der Stadt"
    first, second = tmp_path / "eins.jsonl", tmp_path / "zwei.jsonl"
    other = "\n".join(f"Zeile {n} eines anderen Dokuments mit vielen Wörtern" for n in range(9))
    first.write_text(json.dumps({"id": "a", "text": other}) + "\n", encoding="utf-8")
    mine = {"id": "a", "text": f"Titel\nEinleitung\n{said}."}
    second.write_text(json.dumps(mine) + "\n", encoding="utf-8")
    with serve(create_app(backend, trace=build_trace_index((first, second), backend))) as url:
        found = httpx.post(f"{url}/v1/trace", json={"text": said}).json()
    [span] = found["spans"]
    assert [(d["id"], d["line"]) for d in span["documents"]] == [("a", 3)]


def test_a_server_without_training_data_says_so(server_url: str) -> None:
    answer = httpx.post(f"{server_url}/v1/trace", json={"text": "Geburt"})
    assert answer.status_code == 404
    assert "durchsucht keine Trainingsdaten" in answer.json()["error"]["message"]


def test_a_text_shorter_than_the_shortest_span_says_it_is_too_short(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    with serve(create_app(backend, trace=build_trace_index((corpus,), backend))) as url:
        short = httpx.post(f"{url}/v1/trace", json={"text": "Die Stadt"}).json()
        english = httpx.post(
            f"{url}/v1/trace", json={"text": "Die Stadt"}, headers={"Accept-Language": "en"}
        ).json()
        shorter = httpx.post(f"{url}/v1/trace", json={"text": "Die", "min_tokens": 2}).json()
    count = short["tokens"]
    assert count < 4 and short["spans"] == []
    assert (short["reason"], short["min_tokens"]) == ("too_short", 4)
    assert short["message"] == (
        f"Der Text ist zu kurz für die Suche: er hat {count} Tokens und braucht 4."
    )
    assert english["message"] == (
        f"The text is too short to look for: it has {count} tokens and needs 4."
    )
    assert shorter["message"] == "Der Text ist zu kurz für die Suche: er hat 1 Token und braucht 2."


# Byte-level BPE whose merges make " Ö" one token, but "Ö" without a space its two bytes, the
# second merged with the "ff" after it: a query starting with "Öffnungszeiten" matches the
# corpus's " Öffnungszeiten" only from inside the "Ö".
MERGES = [("Ġ", "Ã"), ("ĸ", "f"), ("ĸf", "f")]


@pytest.fixture(scope="module")
def splitting_backend(tmp_path_factory: pytest.TempPathFactory) -> TransformersBackend:
    out = tmp_path_factory.mktemp("bytes")
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = ["<s>", "</s>", *alphabet, *(a + b for a, b in MERGES)]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=MERGES))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
        clean_up_tokenization_spaces=False,
    ).save_pretrained(str(out))  # fmt: skip
    config = LlamaConfig(
        vocab_size=len(tokens), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, bos_token_id=0, eos_token_id=1,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
    return TransformersBackend(out)


def test_a_span_that_starts_or_ends_inside_a_character_shows_the_whole_character(
    splitting_backend: TransformersBackend,
) -> None:
    tokenize = partial(splitting_backend.tokenize, add_special_tokens=False)
    opening = {"id": "bib-1", "text": "Die Öffnungszeiten der Stadtbibliothek sind lang.",
               "license": "CC0-1.0"}  # fmt: skip
    assert splitting_backend.detokenize(tokenize("Öff")[1:]) == "\ufffdff"
    index = SpanIndex.build([opening], tokenize)
    detokenize = splitting_backend.detokenize
    [span] = trace(index, tokenize("Öffnungszeiten der Stadtbibliothek"), detokenize, 4)
    assert span["start"] == 1  # the match begins at the second byte of "Ö"
    assert span["text"] == "Öffnungszeiten der Stadtbibliothek"
    [span] = trace(index, tokenize("Die Ölheizung"), detokenize, 4)
    assert (span["start"], span["tokens"]) == (0, 4)  # "D", "i", "e", " " with Ö's first byte
    assert span["text"] == "Die Ö"


def test_the_page_gets_whole_words_where_a_byte_level_match_splits_a_character(
    splitting_backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    opening = {"id": "bib-1", "text": "Die Öffnungszeiten der Stadtbibliothek sind lang.",
               "license": "CC0-1.0"}  # fmt: skip
    corpus.write_text(json.dumps(opening) + "\n", encoding="utf-8")
    index = build_trace_index((corpus,), splitting_backend)
    with serve(create_app(splitting_backend, trace=index)) as url:
        starts = httpx.post(
            f"{url}/v1/trace", json={"text": "Öffnungszeiten der Stadtbibliothek"}
        ).json()
        ends = httpx.post(f"{url}/v1/trace", json={"text": "Die Ölheizung"}).json()
    [span] = starts["spans"]
    assert span["text"] == "Öffnungszeiten der Stadtbibliothek"
    assert span["documents"] == [
        {
            "id": "bib-1",
            "license": "CC0-1.0",
            "source": None,
            "line": 1,
            "context": "Die Öffnungszeiten der Stadtbibliothek sind lang.",
        }
    ]
    # "Die Ö" is the "Ö" of "Ölheizung": whole, only "Die" is left, shorter than 4 tokens
    assert (ends["spans"], ends["reason"]) == ([], "not_found")


# The demo's training text, and a byte-level BPE trained on it with the pipeline's trainer: inside
# a document "Beim" follows a space, " Bei"+"m", where a phrase that begins with it has "Bei"+"m"
# — matched from its "m" only, as the demo's tokenizer did.
REPAIR = (
    "Jeden ersten Samstag im Monat verwandelt sich der Gemeindesaal der Martinskirche in eine "
    "Werkstatt. Beim Repair-Café helfen Ehrenamtliche dabei, kaputte Dinge wieder in Gang zu "
    "bringen. Beim Fest verwandelt sich der Hof, beim Markt verwandelt sich der Platz."
)
HELP = (
    "Hilfe gibt es im Amt. Bei Fragen, bei Regen und bei Sonne. Bei uns verwaltet die Stadt den "
    "Saal, er wandelt sich oft."
)


@pytest.fixture(scope="module")
def german_backend(tmp_path_factory: pytest.TempPathFactory) -> TransformersBackend:
    out = tmp_path_factory.mktemp("german")
    tokenizer = train_tokenizer([REPAIR, HELP] * 3, out, vocab_size=290)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
    return TransformersBackend(out)


def test_a_phrase_is_found_from_its_first_word_and_never_shown_as_part_of_a_word(
    german_backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    tokenize = partial(german_backend.tokenize, add_special_tokens=False)
    strings = german_backend.token_strings
    assert (strings(tokenize("Beim"))[0], strings(tokenize(" Beim"))[0]) == ("Bei", " Bei")
    corpus = tmp_path / "train.jsonl"
    document = {"id": "demo/alltag-005", "text": REPAIR, "license": "CC-BY-4.0"}
    corpus.write_text(json.dumps(document) + "\n", encoding="utf-8")
    index = build_trace_index((corpus,), german_backend)
    phrases = [
        "Beim Repair-Café helfen Ehrenamtliche dabei",
        "verwandelt sich der Gemeindesaal der Martinskirche",
        "Samstag im Monat verwandelt sich der Gemeindesaal der Martinskirchen",
    ]
    with serve(create_app(german_backend, trace=index)) as url:
        found = [httpx.post(f"{url}/v1/trace", json={"text": p}).json() for p in phrases]
    assert [[s["text"] for s in f["spans"]] for f in found] == [
        ["Beim Repair-Café helfen Ehrenamtliche dabei"],
        ["verwandelt sich der Gemeindesaal der Martinskirche"],
        ["Samstag im Monat verwandelt sich der Gemeindesaal der"],  # not "…der Martinskirche"
    ]
    assert found[0]["spans"][0]["documents"] == [
        {
            "id": "demo/alltag-005",
            "license": "CC-BY-4.0",
            "source": None,
            "line": 1,
            # a few words around it, whole words only: where the phrase stands
            "context": "eine Werkstatt. Beim Repair-Café helfen Ehrenamtliche dabei, kaputte",
        }
    ]
