"""Chunks hold at most max_words of one passage, overlap, and never cross a page."""

import pytest

from gemeingut.apps.rag.chunking import chunk_passages
from gemeingut.apps.rag.readers import Passage


def test_chunks_never_cross_a_page_and_overlap_within_one() -> None:
    words = [f"w{i}" for i in range(50)]
    passages = [Passage(" ".join(words), page=1), Passage("kurz und gut.", page=2)]
    chunks = chunk_passages(passages, max_words=20, overlap=5)
    assert [c.page for c in chunks] == [1, 1, 1, 2]
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert len(first) == 20 and first[-5:] == second[:5]
    assert chunks[-2].text.split()[-1] == "w49"  # nothing lost at the end
    assert chunks[-1].text == "kurz und gut."


def test_a_cut_falls_on_a_sentence_end_when_one_is_near() -> None:
    text = " ".join(["a"] * 14) + " Ende. " + " ".join(["b"] * 20)
    chunks = chunk_passages([Passage(text, section="§ 1")], max_words=20, overlap=0)
    assert chunks[0].text.endswith("Ende.") and chunks[0].section == "§ 1"
    assert chunks[1].text.startswith("b")


def test_an_overlap_as_long_as_a_chunk_is_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_passages([Passage("x")], max_words=10, overlap=10)
