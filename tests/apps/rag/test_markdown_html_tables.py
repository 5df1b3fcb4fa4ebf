"""HTML in a Markdown file read as a browser shows the rendered page, as an HTML file is read:
a raw <table> row by row (cells apart by " | "), not its cells' words run together
("NutzungGebührTische4 Euro"); an <img> by its description; a <br> a line end."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.readers import read_document

SATZUNG = """# Gebührensatzung

## § 3 Gebühren

Die Gebühren betragen:

<table>
  <thead><tr><th>Nutzung</th><th>Gebühr je Monat</th></tr></thead>
  <tbody>
    <tr><td>Tische und Stühle</td><td>4 Euro<br>je Quadratmeter</td></tr>
    <tr><td><b>Container</b></td><td>25 Euro je Stück</td></tr>
  </tbody>
</table>

<p align="center"><img src="plan.png" alt="Lageplan der Zonen">Zone A: Marktplatz</p>

Rathaus Musterhausen<br>Marktplatz 1<br/>12345 Musterhausen
"""


def test_an_html_table_in_markdown_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "satzung.md"
    path.write_text(SATZUNG, encoding="utf-8")
    [passage] = read_document(path)
    assert passage.section == "Gebührensatzung › § 3 Gebühren"
    assert passage.text == (
        "Die Gebühren betragen:\n\n"
        "Nutzung | Gebühr je Monat\n"
        "Tische und Stühle | 4 Euro je Quadratmeter\n"
        "Container | 25 Euro je Stück\n\n"
        "Lageplan der Zonen Zone A: Marktplatz\n\n"
        "Rathaus Musterhausen\nMarktplatz 1\n12345 Musterhausen"
    )
