"""`verify` re-traces memorised spans over only the text that can hold them: the result is the
one indexing every training document gives, on a corpus made to tempt a shortcut (documents with
equal ends, a span in more documents than are named, umlauts cut between tokens, a special
token's text inside a document), and the sample drawn without tokenizing the long documents is
the sample drawn with."""

from __future__ import annotations

import json
import random

import pytest
from tokenizers import Tokenizer, normalizers

from gemeingut.audit.memorisation import sample_prompts, trace_memorised
from gemeingut.audit.memorisation_needles import byte_level_text
from gemeingut.audit.memorisation_search import holding
from gemeingut.audit.memorisation_trace import PlainTokenizer, _cut, trace_in_training
from gemeingut.audit.span_trace import MAX_LOCATIONS, SpanIndex
from gemeingut.audit.subject import iter_documents
from gemeingut.model.tokenizer import train_tokenizer

WORDS = [
    "Gemeinde",
    "Straße",
    "Prüfung",
    "Gebühr",
    "Bürger",
    "Satzung",
    "Bescheid",
    "Frist",
    "Antrag",
    "Zoll",
    "Öffnungszeiten",
    "Übergangsvorschrift",
    "Kraft",
    "Gesetz",
    "§",
    "12",
    "Abs.",
    "3",
    "„Hinweis“",
    "2026",
    "–",
    "der",
    "die",
    "das",
    "und",
    "oder",
    "mit",
]
BOILERPLATE = "Dieses Gesetz tritt am Tage nach der Verkündung in Kraft."
TAIL = "Quintessenz jenseits aller Vorschriften"


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two JSONL files; a byte-level tokenizer trained on them."""
    root = tmp_path_factory.mktemp("corpus")
    rng = random.Random(7)
    docs = [
        {"id": f"d{i}", "text": _text(rng, 60), "license": rng.choice(["CC0-1.0", "CC-BY-4.0"])}
        for i in range(40)
    ]
    for i in (3, 9, 17, 25, 33):  # the same ending in five documents, more than are named
        docs[i]["text"] += f" {BOILERPLATE}"
    docs[30]["text"] = docs[12]["text"]  # a duplicate: equal to its end
    docs[21]["text"] += " Siehe </s> und <|im_end|> im Text."  # special tokens' text
    docs[22]["text"] = "Öl" * 40 + " äöüß " + docs[22]["text"]  # characters cut between tokens
    # whitespace, which leaves no text to search for, twice in two documents: in d5 amid
    # numbers, far from any letter another span's text could be found by
    docs[6]["text"] = docs[6]["text"].replace(" ", "\n\n\n\n\n\n ", 2)
    numbers = " ".join(["12"] * 30)
    docs[5]["text"] = "\n\n\n\n\n\n ".join([numbers] * 3) + f" {docs[5]['text']} {TAIL}"
    files = (root / "train-00000.jsonl", root / "train-00001.jsonl")
    for file, part in zip(files, (docs[:20], docs[20:]), strict=True):
        file.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in part), "utf-8")
    train_tokenizer((d["text"] for d in docs), root / "tok", vocab_size=400, min_frequency=1)
    tokenizer = Tokenizer.from_file(str(root / "tok" / "tokenizer.json"))
    return {"files": files, "docs": docs, "tokenizer": tokenizer}


def _records(corpus: dict, rng: random.Random) -> list[dict]:
    """Continuations as a memorising model writes them: a document's own tokens, some edited,
    some across its end, one holding a special token, one made of text no document has."""
    words = PlainTokenizer(corpus["tokenizer"])
    records = []
    for n, doc in enumerate(rng.sample(corpus["docs"], 12)):
        ids = words.tokenize(doc["text"])
        start = rng.randrange(max(1, len(ids) - 30))
        continuation = ids[start : start + 30]
        if n % 3 == 0:
            continuation[rng.randrange(len(continuation))] = rng.randrange(300)
        records.append({"document": doc["id"], "continuation": continuation})
    records.append({"document": "d3", "continuation": words.tokenize(f" {BOILERPLATE} Ende")})
    eos = corpus["tokenizer"].token_to_id("</s>")
    records.append({"document": "d21", "continuation": [*words.tokenize(" Siehe"), eos] * 3})
    records.append({"document": "d22", "continuation": words.tokenize("Öl" * 12 + " äöüß")})
    records.append({"document": "-", "continuation": words.tokenize(" Zebra Yak Xylophon " * 3)})
    for n, record in enumerate(records):
        record["near_verbatim"] = n != 1  # one not memorised: not traced
    return records


def test_the_re_trace_over_the_parts_that_can_hold_a_span_is_the_whole_corpus_trace(
    corpus: dict,
) -> None:
    words, files = PlainTokenizer(corpus["tokenizer"]), corpus["files"]
    text = byte_level_text(corpus["tokenizer"])
    assert text is not None and text.cut_at_spaces  # our tokenizer takes the shortest way
    index = SpanIndex.build(iter_documents(files), words.tokenize)
    for seed in range(3):
        records = _records(corpus, random.Random(seed))
        for min_tokens in (2, 4, 8):
            whole = trace_memorised(index, words, records, min_tokens)
            assert trace_in_training(files, words, records, min_tokens, text) == whole
            assert trace_in_training(files, words, records, min_tokens, None) == whole
    boilerplate = trace_in_training(files, words, _records(corpus, random.Random(0)), 8, text)
    spans = next(t for t in boilerplate if t["document"] == "d3")["spans"]
    assert spans[0]["occurrences"] == 5 and len(spans[0]["documents"]) == MAX_LOCATIONS


def test_a_span_of_whitespace_alone_is_counted_wherever_it_is(corpus: dict) -> None:
    """Whitespace leaves no text to search for: every document is tokenized whole, also one
    that holds another span's text far from its whitespace."""
    words, files = PlainTokenizer(corpus["tokenizer"]), corpus["files"]
    text = byte_level_text(corpus["tokenizer"])
    records = [
        {"document": "d5", "continuation": words.tokenize(f" {TAIL}"), "near_verbatim": True},
        {"document": "-", "continuation": words.tokenize("\n" * 6 + " Xy"), "near_verbatim": True},
    ]
    whole = trace_memorised(
        SpanIndex.build(iter_documents(files), words.tokenize), words, records, 2
    )
    assert whole[1]["spans"][0]["occurrences"] == 4  # twice in d5, twice in d6
    assert trace_in_training(files, words, records, 2, text) == whole


def test_a_span_names_the_documents_first_in_corpus_order() -> None:
    """Not the suffix array's first, which for documents with equal ends depends on what
    follows them, and so on which documents were indexed."""
    docs = [{"id": name, "text": name, "license": None} for name in ("z", "a", "b", "c", "d")]
    tokens = {"z": [5, 9, 9, 26], "a": [5, 9, 9, 1], "b": [5, 9, 9, 2], "c": [7], "d": [5, 9, 9, 3]}
    index = SpanIndex.build(docs, lambda text: tokens[text])
    length, lo, hi = index.longest_match([5, 9, 9], 0)
    assert (length, hi - lo) == (3, 4)
    assert [d["id"] for d in index.locate(lo, hi)] == ["z", "a", "b"]


def test_every_piece_of_a_token_sequence_is_in_the_document_it_comes_from(corpus: dict) -> None:
    text = byte_level_text(corpus["tokenizer"])
    assert text is not None
    words = PlainTokenizer(corpus["tokenizer"])
    rng = random.Random(1)
    for doc in corpus["docs"]:
        ids = words.tokenize(doc["text"])
        for _ in range(20):
            start = rng.randrange(len(ids))
            window = ids[start : start + rng.randrange(1, 9)]
            assert all(piece in doc["text"] for piece in text.pieces(window))
            assert text.chars(window) >= len(words.detokenize(window).strip("\ufffd"))
        assert len(ids) >= text.fewest_tokens(doc["text"])


def test_a_cut_before_a_space_tokenizes_as_the_whole_document(corpus: dict) -> None:
    words = PlainTokenizer(corpus["tokenizer"])
    rng = random.Random(2)
    for doc in corpus["docs"]:
        whole = doc["text"]
        ids = words.tokenize(whole)
        for _ in range(10):
            lo = rng.randrange(len(whole))
            start, end = _cut(whole, lo, min(len(whole), lo + rng.randrange(1, 40)))
            before = len(words.tokenize(whole[:start]))
            part = words.tokenize(whole[start:end])
            assert ids[before : before + len(part)] == part


def test_a_tokenizer_that_changes_the_text_is_tokenized_whole(corpus: dict) -> None:
    lowered = Tokenizer.from_str(corpus["tokenizer"].to_str())
    lowered.normalizer = normalizers.Lowercase()
    assert byte_level_text(lowered) is None


def test_the_texts_holding_a_needle_are_found_as_a_text_search_finds_them() -> None:
    rng = random.Random(3)
    texts = [_text(rng, 80) for _ in range(30)] + ["", "ß", "Öl" * 50]
    needles = [[t[i : i + n]] for t in texts[:30] for i, n in ((5, 20), (40, 6), (0, 9))]
    needles += [["Gemeinde", "Straße Prüfung"], ["nirgends im Text"], ["Öl" * 7], ["ßÖ"]]
    found = holding(texts, needles)
    expected: dict[int, set[str]] = {}
    for i, t in enumerate(texts):
        for needle in needles:
            if all(piece in t for piece in needle):
                expected.setdefault(i, set()).add(max(needle, key=lambda p: len(p.encode())))
    assert found == expected
    assert set(holding(texts, [["nirgends"], []])) == set(range(len(texts)))


def test_the_sample_is_drawn_alike_without_tokenizing_the_long_documents(corpus: dict) -> None:
    words, files = PlainTokenizer(corpus["tokenizer"]), corpus["files"]
    text = byte_level_text(corpus["tokenizer"])
    assert text is not None
    tokenized: list[str] = []

    def counting(doc: str) -> list[int]:
        tokenized.append(doc)
        return words.tokenize(doc)

    for k, m in ((4, 4), (20, 30), (60, 60)):
        drawn = sample_prompts(files, words.tokenize, 7, k, m, seed=5)
        tokenized.clear()
        assert sample_prompts(files, counting, 7, k, m, 5, False, text.fewest_tokens) == drawn
        if k + m == 8:  # every document surely long enough: only the drawn ones tokenized
            assert len(tokenized) == 7
        assert sample_prompts(files, counting, 7, k, m, 5, True, text.fewest_tokens) == (
            sample_prompts(files, words.tokenize, 7, k, m, 5, True)
        )
