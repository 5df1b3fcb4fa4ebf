"""Every text a reader of an ODT sees in Writer is in a chunk, as in a DOCX: a footnote's or
endnote's text after the paragraph citing it (its mark and text not glued into the paragraph's
words), a text box's after its paragraph, the page styles' headers and footers once each."""

from __future__ import annotations

from pathlib import Path

from tests.apps.rag.documents import chunked


def _note(paragraph, number: int, kind: str, text: str) -> None:
    """A note of `kind` (footnote, endnote) citing `text` at the end of `paragraph`, as Writer
    writes it: its citation mark, then its body."""
    from odf.text import Note, NoteBody, NoteCitation, P

    note = Note(id=f"ftn{number}", noteclass=kind)
    note.addElement(NoteCitation(text=str(number)))
    body = NoteBody()
    body.addElement(P(text=text))
    note.addElement(body)
    paragraph.addElement(note)


def write_bescheid(path: Path) -> Path:
    """A notice with a footnote, an endnote in a table, and a page style whose header and
    footer (and its left pages' header, the same letterhead) stand on every page."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, HeaderLeft, MasterPage, PageLayout
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    document = OpenDocumentText()
    layout = PageLayout(name="pm1")
    document.automaticstyles.addElement(layout)
    page = MasterPage(name="Standard", pagelayoutname=layout)
    for part, text in (
        (Header(), "Stadt Musterhausen · Ordnungsamt"),
        (HeaderLeft(), "Stadt Musterhausen · Ordnungsamt"),
        (Footer(), "Bankverbindung Sparkasse Musterhausen"),
    ):
        part.addElement(P(text=text))
        page.addElement(part)
    document.masterstyles.addElement(page)
    document.text.addElement(H(outlinelevel=1, text="Bescheid über die Sondernutzung"))
    first = P(text="Die Sondernutzung wird erlaubt.")
    _note(first, 1, "footnote", "Nach § 8 Bundesfernstraßengesetz.")
    first.addText(" Sie gilt ein Jahr.")
    document.text.addElement(first)
    table = Table(name="Gebühren")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    row = TableRow()
    for text in ("Gebühr", "40 Euro je Monat"):
        cell = TableCell()
        cell.addElement(P(text=text))
        row.addElement(cell)
    _note(row.childNodes[-1].childNodes[0], 2, "endnote", "Gebührensatzung vom 1. März.")
    table.addElement(row)
    document.text.addElement(table)
    document.save(str(path))
    return path


def test_notes_follow_what_cites_them_and_headers_and_footers_are_read_once(
    tmp_path: Path,
) -> None:
    section = "Bescheid über die Sondernutzung"
    assert chunked(write_bescheid(tmp_path / "bescheid.odt")) == [
        (section, "Die Sondernutzung wird erlaubt. Sie gilt ein Jahr."),
        (section, "Nach § 8 Bundesfernstraßengesetz."),
        (section, "Gebühr | 40 Euro je Monat"),
        (section, "Gebührensatzung vom 1. März."),
        (None, "Stadt Musterhausen · Ordnungsamt"),
        (None, "Bankverbindung Sparkasse Musterhausen"),
    ]


def test_a_header_switched_off_is_not_read(tmp_path: Path) -> None:
    """Writer keeps a header's text when it is switched off (style:display="false") and
    prints it on no page: no reader sees it."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Header, MasterPage, PageLayout
    from odf.text import P

    document = OpenDocumentText()
    layout = PageLayout(name="pm1")
    document.automaticstyles.addElement(layout)
    page = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header(display="false")
    header.addElement(P(text="Entwurf vom Januar"))
    page.addElement(header)
    document.masterstyles.addElement(page)
    document.text.addElement(P(text="Die Satzung tritt am 1. Mai in Kraft."))
    document.save(str(tmp_path / "satzung.odt"))
    assert chunked(tmp_path / "satzung.odt") == [(None, "Die Satzung tritt am 1. Mai in Kraft.")]


def test_a_text_box_follows_its_paragraph_and_one_on_the_page_is_read(tmp_path: Path) -> None:
    """A text box (a frame's <draw:text-box>) in a paragraph is its own text, not glued to
    the paragraph's last word; one anchored to the page, outside every paragraph, is read."""
    from odf.draw import Frame, TextBox
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    def box(text: str) -> Frame:
        frame = Frame(width="5cm", height="1cm", anchortype="paragraph")
        inner = TextBox()
        inner.addElement(P(text=text))
        frame.addElement(inner)
        return frame

    document = OpenDocumentText()
    paragraph = P(text="Die Sprechstunde findet im Rathaus statt.")
    paragraph.addElement(box("Raum 204, zweiter Stock"))
    document.text.addElement(paragraph)
    document.text.addElement(box("Aushang Nr. 17/2024"))
    document.save(str(tmp_path / "aushang.odt"))
    assert chunked(tmp_path / "aushang.odt") == [
        (None, "Die Sprechstunde findet im Rathaus statt."),
        (None, "Raum 204, zweiter Stock"),
        (None, "Aushang Nr. 17/2024"),
    ]


def test_a_list_s_items_are_lines_not_glued(tmp_path: Path) -> None:
    """A list's items (a nested list's too) each on a line of their own: odfpy's text of the
    whole list glues them ("PersonalausweisMeldebescheinigung"), a word no search asks for."""
    from odf.opendocument import OpenDocumentText
    from odf.text import List, ListItem, P

    def listed(*texts: str) -> List:
        items = List()
        for text in texts:
            item = ListItem()
            item.addElement(P(text=text))
            items.addElement(item)
        return items

    document = OpenDocumentText()
    outer = listed("Personalausweis", "Meldebescheinigung")
    outer.childNodes[-1].addElement(listed("Kopie des Mietvertrags"))
    document.text.addElement(outer)
    document.save(str(tmp_path / "merkblatt.odt"))
    assert chunked(tmp_path / "merkblatt.odt") == [
        (None, "Personalausweis\nMeldebescheinigung\nKopie des Mietvertrags")
    ]
