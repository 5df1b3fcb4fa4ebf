"""Every text a reader of a web page sees is in a chunk: an article's own header and footer
(its title, its date, its author) too; the page's banner, navigation and foot are not."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.documents import chunked

PAGE = """<html><head><title>Stadt Musterhausen – Aktuelles</title></head><body>
<header><a href="/">Stadt Musterhausen</a></header>
<nav><a href="/rathaus">Rathaus</a></nav>
<main><article>
<header><h1>Neue Öffnungszeiten der Bibliothek</h1><p>Veröffentlicht am 2. Mai</p></header>
<h2>Zeiten</h2>
<p>Montag bis Freitag<br>10 bis 18 Uhr</p>
<dl><dt>Samstag</dt><dd>10 bis 14 Uhr</dd></dl>
<details><summary>Feiertage</summary>An Feiertagen geschlossen.</details>
<h2>Kontakt</h2>
<footer>Text: Pressestelle, Frau Berger</footer>
</article></main>
<footer>Impressum · Datenschutz</footer>
</body></html>"""


def test_an_articles_header_and_footer_are_read_the_pages_are_not(tmp_path: Path) -> None:
    path = tmp_path / "bibliothek.html"
    path.write_text(PAGE, encoding="utf-8")
    title = "Neue Öffnungszeiten der Bibliothek"
    assert chunked(path) == [
        (title, "Veröffentlicht am 2. Mai"),
        (
            f"{title} › Zeiten",
            "Montag bis Freitag\n10 bis 18 Uhr\nSamstag\n10 bis 14 Uhr\n"
            "Feiertage\nAn Feiertagen geschlossen.",
        ),
        (f"{title} › Kontakt", "Text: Pressestelle, Frau Berger"),
    ]


def test_a_pages_title_names_its_sections_on_one_line_and_is_no_text(tmp_path: Path) -> None:
    """The <title> is in the browser's tab, not on the page: a page a script fills in has no
    text to search (it is skipped, and its sender told), not a chunk of the site's name."""
    app = tmp_path / "portal.html"
    app.write_text(
        "<html><head><title>Bürgerportal</title><script src='app.js'></script></head>"
        "<body><div id='app'></div></body></html>",
        encoding="utf-8",
    )
    assert read_document(app) == []
    page = tmp_path / "satzung.html"
    page.write_text(
        "<html><head><title>\n  Hundesteuer –\n  Stadt Musterhausen\n</title></head><body>"
        "<h2>§ 2 Steuersatz</h2><p>96 Euro für den ersten Hund.</p></body></html>",
        encoding="utf-8",
    )
    assert chunked(page) == [
        ("Hundesteuer – Stadt Musterhausen › § 2 Steuersatz", "96 Euro für den ersten Hund.")
    ]
