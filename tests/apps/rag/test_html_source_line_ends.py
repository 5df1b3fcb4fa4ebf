"""A line end in an HTML page's source is a space, as a browser shows it: editors and office
programs (LibreOffice's "Save as HTML") wrap a paragraph's source at 80 characters, and
"Stadt\\nMusterhausen" is no line of the page. A <br> and a block's edge end a line; <pre>
keeps its lines."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.readers import read_document

PAGE = """<html><body><h1>Sprechzeiten</h1>
<p>Das   Bürgerbüro der Stadt
Musterhausen ist <b>montags
bis freitags</b> geöffnet.<br>Telefon 0221 123</p>
<pre>Mo–Fr  8–12 Uhr
Do    14–18 Uhr</pre>
<ul><li>Ausweis
beantragen</li></ul>
</body></html>
"""


def test_a_line_end_in_the_source_is_a_space_but_in_pre(tmp_path: Path) -> None:
    path = tmp_path / "sprechzeiten.html"
    path.write_text(PAGE, encoding="utf-8")
    [passage] = read_document(path)
    assert passage.text == (
        "Das Bürgerbüro der Stadt Musterhausen ist montags bis freitags geöffnet.\n"
        "Telefon 0221 123\nMo–Fr 8–12 Uhr\nDo 14–18 Uhr\nAusweis beantragen"
    )
