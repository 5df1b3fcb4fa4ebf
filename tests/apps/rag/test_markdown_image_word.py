"""An image's description in Markdown is a word of its own, not glued to the text beside the
picture: a question for "ändert" finds the sentence."""

from pathlib import Path

from gemeingut.apps.rag.chunking import chunk_passages
from gemeingut.apps.rag.readers import read_document


def test_an_images_description_is_no_part_of_the_word_beside_it(tmp_path: Path) -> None:
    """As the KVAV writes a formula's picture before the sentence that goes on after it."""
    path = tmp_path / "kvav.md"
    path.write_text("# KVAV\n\n![Formel](formel.gif)ändert sich entsprechend.\n", encoding="utf-8")
    [chunk] = chunk_passages(read_document(path))
    assert chunk.text == "Formel ändert sich entsprechend."


def test_a_picture_without_a_description_parts_the_words_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "kontakt.md"
    path.write_text("# Kontakt\n\nTelefon![](telefon.png)0221 123\n", encoding="utf-8")
    [chunk] = chunk_passages(read_document(path))
    assert chunk.text == "Telefon 0221 123"
