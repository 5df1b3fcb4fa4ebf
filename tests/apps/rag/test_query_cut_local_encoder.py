"""`gemeingut rag query` says that a question was longer than a local encoder reads, as it
says it for a remote one and as the server and the page say it: how many of its characters
the search by meaning read, and (hybrid) that the search by words read all of it. The
characters read end where the last token the model read ends (the tokenizer's offsets): before,
they were the longest start of whole words, and a first word longer than the model reads gave
"its first 0 characters" though the model read 22 tokens of it."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoTokenizer

from gemeingut.apps.rag.cuts import noting_cuts
from gemeingut.apps.rag.embedders import EmbedderSpec, open_embedder
from tests.apps.rag.test_remote_context_fit import QUESTION, SHORT
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.test_cli import invoke

READS = 24  # the tiny encoder's context, its CLS and SEP included
PROMPT = "query: "  # its query prompt (E5's)


def read_start(folder: Path, text: str) -> int:
    """The characters of `text` the tiny encoder reads: up to the end of its last token read
    (its context less CLS and SEP)."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return offsets["offset_mapping"][READS - 3][1]


def test_a_first_word_longer_than_the_model_reads_is_read_in_part(tmp_path: Path) -> None:
    """No space in it: `Amt` and `,` are a token each, and the model reads 22 of them."""
    embedder = open_embedder(EmbedderSpec(str(make_sentence_bert(tmp_path / "e5"))))
    with noting_cuts() as cuts:
        embedder.embed(["Amt," * 30, SHORT])
    assert [(cut.text, cut.kept, cut.context) for cut in cuts] == [("Amt," * 30, 44, READS)]


def test_a_question_longer_than_the_local_encoder_reads_is_said(tmp_path: Path) -> None:
    e5 = make_sentence_bert(tmp_path / "e5")
    docs, root = tmp_path / "docs", tmp_path / "c"
    docs.mkdir()
    (docs / "kurz.txt").write_text(SHORT, encoding="utf-8")
    ingested = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", e5)
    assert ingested.exit_code == 0, ingested.output
    kept = read_start(e5, PROMPT + QUESTION) - len(PROMPT)
    assert 0 < kept < len(QUESTION)
    said = (
        f"The question is long: the search by meaning read only its first {kept} of "
        f"{len(QUESTION)} characters"
    )
    for mode, words in (("dense", "."), ("hybrid", "; the search by words read all of it.")):
        long = invoke("--lang", "en", "rag", "query", "amt", QUESTION, "--root", root,
                      "--mode", mode, "--json")  # fmt: skip
        assert long.exit_code == 0, long.output
        assert said + words in " ".join(long.stderr.split())
    short = invoke("--lang", "en", "rag", "query", "amt", "Frist?", "--root", root, "--json")
    words = invoke("--lang", "en", "rag", "query", "amt", QUESTION, "--root", root,
                   "--mode", "bm25")  # fmt: skip
    assert short.exit_code == 0 and "long" not in short.stderr, short.output
    assert words.exit_code == 0 and "long" not in words.stderr, words.output
