"""Every text a reader of a DOCX sees is in a chunk: footnotes and endnotes after what cites
them, headers and footers once, a tracked insertion, a content control's text."""

from __future__ import annotations

from pathlib import Path

from tests.apps.rag.documents import chunked

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _notes(document, kind: str, text: str) -> None:
    """A footnotes or endnotes part with note 1 of `text`, as Word writes it."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    xml = (
        f'<w:{kind}s {W}><w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
        f'</w:p></w:{kind}><w:{kind} w:id="1"><w:p><w:r><w:{kind}Ref/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}></w:{kind}s>'
    )
    content_type = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
    relation = RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, xml.encode(), document.part.package)
    document.part.relate_to(part, relation)


def _cite(paragraph, kind: str) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(f'<w:r {W}><w:{kind}Reference w:id="1"/></w:r>'))


def write_letter(path: Path) -> Path:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Stadt Musterhausen · Ordnungsamt"
    document.sections[0].footer.paragraphs[0].text = "Bankverbindung Sparkasse Musterhausen"
    document.add_heading("Bescheid über die Sondernutzung", level=1)
    first = document.add_paragraph("Die Sondernutzung wird erlaubt.")
    _cite(first, "footnote")
    _notes(document, "footnote", "Nach § 8 Bundesfernstraßengesetz.")
    second = document.add_paragraph("Die Gebühr beträgt 40 Euro")
    second._p.append(
        parse_xml(
            f'<w:ins {W} w:id="7" w:author="Amt" w:date="2024-05-02T10:00:00Z">'
            '<w:r><w:t xml:space="preserve"> je Monat</w:t></w:r></w:ins>'
        )
    )
    _cite(second, "endnote")
    _notes(document, "endnote", "Gebührensatzung vom 1. März.")
    second._p.addnext(  # a content control, as a template's field
        parse_xml(
            f"<w:sdt {W}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Aktenzeichen 32-741</w:t>"
            "</w:r></w:p></w:sdtContent></w:sdt>"
        )
    )
    document.save(str(path))
    return path


def test_notes_headers_insertions_and_fields_are_in_chunks(tmp_path: Path) -> None:
    section = "Bescheid über die Sondernutzung"
    assert chunked(write_letter(tmp_path / "bescheid.docx")) == [
        (section, "Die Sondernutzung wird erlaubt."),
        (section, "Nach § 8 Bundesfernstraßengesetz."),
        (section, "Die Gebühr beträgt 40 Euro je Monat"),
        (section, "Gebührensatzung vom 1. März."),
        (section, "Aktenzeichen 32-741"),
        (None, "Stadt Musterhausen · Ordnungsamt"),
        (None, "Bankverbindung Sparkasse Musterhausen"),
    ]


def test_a_header_on_every_page_is_read_once(tmp_path: Path) -> None:
    import docx
    from docx.enum.section import WD_SECTION

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Amtsblatt Musterhausen"
    document.add_paragraph("Erste Bekanntmachung.")
    second = document.add_section(WD_SECTION.NEW_PAGE)
    second.header.is_linked_to_previous = False  # a header of its own, with the same text
    second.header.paragraphs[0].text = "Amtsblatt Musterhausen"
    document.add_paragraph("Zweite Bekanntmachung.")
    document.save(str(tmp_path / "amtsblatt.docx"))
    texts = [text for _section, text in chunked(tmp_path / "amtsblatt.docx")]
    assert texts.count("Amtsblatt Musterhausen") == 1
