"""Documents saved by LibreOffice itself (office_files/, README.md there: how they were made)
read as a reader of them sees them: every paragraph once and in order under its headings, a
numbered list's item with its number, a footnote after its paragraph, a table row a line, a
text box after its paragraph, a picture by its description, the header and footer once
without a page's number; not a comment, a tracked deletion or a field's code. The PDF by its
pages, cut at its numbered headings."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.readers import read_document
from gemeingut.apps.rag.retrieve import search

FILES = Path(__file__).parent / "office_files"
SAVED = [FILES / "allgemeinverfuegung.odt", FILES / "allgemeinverfuegung.docx"]
TITLE = "Allgemeinverfügung über Sondernutzungen"
S1, S2, S3, S4 = (
    f"{TITLE} › § {n}"
    for n in ("1 Geltungsbereich", "2 Erlaubnispflicht", "3 Gebühren", "4 Inkrafttreten")
)
# (section, line) of each line a reader of the document sees, in order
LINES = [
    (S1, "Diese Verfügung gilt für alle öffentlichen Straßen, Wege und Plätze der Stadt"
     " Musterhausen. Privatwege sind ausgenommen."),
    (S1, "Straßen im Sinne des § 2 Straßen- und Wegegesetz."),
    (S2, "Einer Erlaubnis bedürfen insbesondere:"),
    (S2, "1. Tische und Stühle vor Gaststätten,"),  # with its number
    (S2, "2. Warenauslagen und Werbeträger,"),
    (S2, "3. Baugerüste und Container."),
    (S2, "Anträge sind schriftlich bei der Stadt zu stellen."),
    (S2, "Sprechzeiten: Montag bis Freitag 8 bis 12 Uhr, Raum 204"),
    (f"{S2} › Ausnahmen", "Wahlwerbung in den letzten sechs Wochen vor einer Wahl"),
    (f"{S2} › Ausnahmen", "Sammlungen gemeinnütziger Vereine"),
    (S3, "Die Gebühren richten sich nach der folgenden Tabelle:"),
    (S3, "Nutzung | Gebühr je Monat"),
    (S3, "Tische und Stühle | 4 Euro je Quadratmeter"),
    (S3, "Container | 25 Euro je Stück"),
    (S3, "Die Gebühr wird monatlich im Voraus erhoben."),
    (S3, "Der Lageplan Lageplan der Innenstadt Zone A umfasst den Marktplatz, Zone B die"
     " Bahnhofstraße. zeigt die Zonen."),
    (S4, "Diese Verfügung tritt am Tag nach ihrer Bekanntmachung in Kraft. Der Geltungsbereich"
     " steht in § 1 Geltungsbereich, die Satzung unter www.musterhausen.de/satzungen."),
    (S4, "Musterhausen, den 1. März 2025"),
    (S4, "Der Bürgermeister"),
    (TITLE, "Stadt Musterhausen · Ordnungsamt · Marktplatz 1"),
    (TITLE, "Bankverbindung Sparkasse Musterhausen · Seite"),
]  # fmt: skip


def _lines(path: Path) -> list[tuple[str | None, str]]:
    return [(p.section, line) for p in read_document(path) for line in p.text.split("\n")]


def test_the_documents_are_libreoffice_s_and_small() -> None:
    for path in SAVED:
        with zipfile.ZipFile(path) as saved:
            meta = saved.read("meta.xml" if path.suffix == ".odt" else "docProps/app.xml")
        assert b"LibreOffice/7" in meta
    for path in [*SAVED, FILES / "allgemeinverfuegung.pdf"]:
        assert path.stat().st_size < 50_000


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.suffix)
def test_every_line_once_in_order_under_its_headings(path: Path) -> None:
    assert _lines(path) == LINES


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.suffix)
def test_no_comment_deletion_field_code_or_frame_name_is_read(path: Path) -> None:
    text = "\n".join(line for _section, line in _lines(path))
    for unseen in ("Rechtsamt", "Sachbearbeiterin", "jährlich", "REF", "__RefHeading", "Bild1"):
        assert unseen not in text


def test_the_pdf_s_pages_are_its_printed_pages_under_their_headings() -> None:
    passages = read_document(FILES / "allgemeinverfuegung.pdf")
    # "§ 1" stands below the title's unfinished line ("Allgemeinverfügung über"): no heading
    # to `sentences.is_heading`; the header atop pages 2 and 3 stays under the heading above
    assert [(p.page, p.section) for p in passages] == [
        (1, None),
        (1, "§ 2 Erlaubnispflicht"),
        (2, "§ 2 Erlaubnispflicht"),
        (2, "§ 3 Gebühren"),
        (3, "§ 3 Gebühren"),
        (3, "§ 4 Inkrafttreten"),
    ]
    pages = ["\n".join(p.text for p in passages if p.page == page) for page in (1, 2, 3)]
    assert "Straßen im Sinne des § 2 Straßen- und Wegegesetz." in pages[0]
    assert "§ 3 Gebühren" in pages[1] and "Container 25 Euro je Stück" in pages[1]
    assert "§ 4 Inkrafttreten" in pages[2] and "Der Bürgermeister" in pages[2]
    assert all(page.count("Stadt Musterhausen · Ordnungsamt") == 1 for page in pages)


def test_a_search_finds_the_picture_s_description_and_the_footnote(tmp_path: Path) -> None:
    docs = tmp_path / "akten"
    docs.mkdir()
    for path in [*SAVED, FILES / "allgemeinverfuegung.pdf"]:
        shutil.copy(path, docs)
    ingest(tmp_path / "c", "amt", [docs])
    collection = open_collection(tmp_path / "c", "amt")
    found = search(collection, "Lageplan Zone B Bahnhofstraße", mode="bm25", k=2)
    chunks = [collection.chunks[r.row] for r in found]
    assert {c.document for c in chunks} == {
        "akten/allgemeinverfuegung.docx",
        "akten/allgemeinverfuegung.odt",
    }
    assert {c.section for c in chunks} == {S3}
    assert all("Zone A umfasst den Marktplatz, Zone B die Bahnhofstraße." in c.text for c in chunks)
    [pdf] = [
        collection.chunks[r.row]
        for r in search(collection, "Wegegesetz", mode="bm25", k=3)
        if collection.chunks[r.row].document.endswith(".pdf")
    ]
    assert pdf.page == 1


def test_soft_page_breaks_spaces_and_pictures_in_an_odt_as_writer_saves_it(
    tmp_path: Path,
) -> None:
    """What Writer writes once it has laid out the pages (a headless conversion does not):
    <text:soft-page-break/> in a paragraph, between paragraphs, in a list item and between a
    table's rows; spaces as <text:s c="2"/>; a picture without a description between words,
    one with its title on the page."""
    from odf.draw import Frame, Image
    from odf.opendocument import OpenDocumentText
    from odf.svg import Title
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, List, ListItem, P, S, SoftPageBreak

    document = OpenDocumentText()
    body = document.text
    crest = Frame(anchortype="page", width="2cm", height="2cm")  # a picture on the page
    crest.addElement(Image(href="Pictures/wappen.png"))
    crest.addElement(Title(text="Wappen der Stadt"))
    body.addElement(crest)
    body.addElement(H(outlinelevel=1, text="Fristen"))
    paragraph = P(text="Die Frist beträgt ")
    paragraph.addElement(SoftPageBreak())
    paragraph.addText("vier Wochen.")
    paragraph.addElement(S(c=2))
    paragraph.addText("Telefon")
    frame = Frame(anchortype="as-char", width="1cm", height="1cm")
    frame.addElement(Image(href="Pictures/telefon.png"))
    paragraph.addElement(frame)
    paragraph.addText("0221 123")
    body.addElement(paragraph)
    body.addElement(SoftPageBreak())
    items = List()
    item = ListItem()
    item.addElement(SoftPageBreak())
    item.addElement(P(text="Widerspruch binnen eines Monats"))
    items.addElement(item)
    body.addElement(items)
    table = Table()
    for texts in (("Frist", "4 Wochen"), ("Gebühr", "40 Euro")):
        row = TableRow()
        for text in texts:
            cell = TableCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
        table.addElement(SoftPageBreak())
    body.addElement(table)
    document.save(str(tmp_path / "fristen.odt"))
    assert [p.text for p in read_document(tmp_path / "fristen.odt")] == [
        "Wappen der Stadt",
        "Die Frist beträgt vier Wochen.  Telefon 0221 123",
        "Widerspruch binnen eines Monats",
        "Frist | 4 Wochen\nGebühr | 40 Euro",
    ]


def test_a_note_in_an_odt_s_deleted_text_is_not_read(tmp_path: Path) -> None:
    """Writer keeps a tracked deletion apart from the text (<text:tracked-changes>), with the
    notes in it: none of it is shown."""
    from odf.namespaces import TEXTNS, XMLNS
    from odf.opendocument import OpenDocumentText
    from odf.text import ChangedRegion, Deletion, P, TrackedChanges

    from tests.apps.rag.test_odt_notes_and_page_headers import _note

    document = OpenDocumentText()
    changes = TrackedChanges()
    ids = {(TEXTNS, "id"): "ct1", (XMLNS, "id"): "ct1"}  # odfpy asks for both
    region = ChangedRegion(qattributes=ids)
    deletion = Deletion()
    deleted = P(text="Die Gebühr wird jährlich erhoben.")
    _note(deleted, 1, "footnote", "Nach der alten Satzung.")
    deletion.addElement(deleted)
    region.addElement(deletion)
    changes.addElement(region)
    document.text.addElement(changes)
    document.text.addElement(P(text="Die Gebühr entfällt."))
    document.save(str(tmp_path / "entfall.odt"))
    assert [p.text for p in read_document(tmp_path / "entfall.odt")] == ["Die Gebühr entfällt."]
