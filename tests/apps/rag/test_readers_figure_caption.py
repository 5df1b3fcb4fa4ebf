"""An image whose description (alt) is its figure's caption, but for case and white space, is
read once, as the caption: a web editor fills the alt text in from the caption, and the chunk
said it twice. An image described otherwise keeps its description, in a Markdown file's HTML
too."""

from __future__ import annotations

from pathlib import Path

from tests.apps.rag.documents import chunked

FIGURES = (
    '<figure><img src="plan.png" alt="Lageplan  der BAUSTELLE">'
    "<figcaption>Lageplan der\n Baustelle</figcaption></figure>"
    '<figure><a href="umleitung.png"><img src="umleitung.png"'
    ' alt="Umleitung über die Ringstraße"></a><figcaption>Abbildung 2</figcaption></figure>'
)


def test_an_alt_text_that_is_the_caption_is_read_once(tmp_path: Path) -> None:
    page = tmp_path / "baustelle.html"
    page.write_text(
        f"<html><body><h1>Baustelle Marktplatz</h1>{FIGURES}<p>Bauzeit: März bis Mai.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    notice = tmp_path / "baustelle.md"
    notice.write_text(f"# Baustelle Marktplatz\n\n{FIGURES}\n\nBauzeit: März bis Mai.\n", "utf-8")
    text = (
        "Lageplan der Baustelle\nUmleitung über die Ringstraße\nAbbildung 2\nBauzeit: März bis Mai."
    )
    assert chunked(page) == [("Baustelle Marktplatz", text)]
    assert chunked(notice) == [("Baustelle Marktplatz", text.replace("\nBauzeit", "\n\nBauzeit"))]
