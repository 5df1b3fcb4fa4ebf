"""A web page's table is read row by row, a row's cells on one line as in DOCX, ODT and
Markdown ("Frist | 14 Tage": a row's meaning in one chunk line); an image's description (its
alt text) is text, a word apart from its neighbours, and a decorative image's (alt="") is not."""

from __future__ import annotations

from pathlib import Path

from tests.apps.rag.documents import chunked

PAGE = """<html><head><title>Widerspruch</title></head><body>
<h1>Widerspruch gegen den Bescheid</h1>
<p>Der Widerspruch ist schriftlich einzulegen<img src="stift.png" alt="">beim Bürgeramt.</p>
<p>Anschrift:<img src="karte.png" alt="Lageplan Rathaus, Eingang Nord">Marktplatz 1</p>
<table>
<thead><tr><th>Schritt</th><th>Frist</th></tr></thead>
<tbody>
<tr><td>Widerspruch</td><td>14 Tage<br>nach Zugang</td></tr>
<tr><td><p>Begründung</p></td><td></td><td>einen Monat</td></tr>
</tbody>
</table>
</body></html>"""


def test_a_table_row_is_one_line_and_an_images_description_is_text(tmp_path: Path) -> None:
    path = tmp_path / "widerspruch.html"
    path.write_text(PAGE, encoding="utf-8")
    assert chunked(path) == [
        (
            "Widerspruch gegen den Bescheid",
            "Der Widerspruch ist schriftlich einzulegen beim Bürgeramt.\n"
            "Anschrift: Lageplan Rathaus, Eingang Nord Marktplatz 1\n"
            "Schritt | Frist\n"
            "Widerspruch | 14 Tage nach Zugang\n"
            "Begründung | einen Monat",
        )
    ]


def test_a_page_laid_out_in_a_table_keeps_its_headings(tmp_path: Path) -> None:
    """An older site lays its page out in a table: a row holding headings (or a table) is
    read as the blocks in it, its headings sections, not as one line of cells."""
    path = tmp_path / "amt.html"
    path.write_text(
        "<html><body><table><tr><td><h1>Ordnungsamt</h1><h2>Sprechzeiten</h2>"
        "<p>Montag 8 bis 12 Uhr</p><table><tr><td>Zimmer</td><td>204</td></tr></table></td>"
        "</tr></table></body></html>",
        encoding="utf-8",
    )
    assert chunked(path) == [("Ordnungsamt › Sprechzeiten", "Montag 8 bis 12 Uhr\nZimmer | 204")]
