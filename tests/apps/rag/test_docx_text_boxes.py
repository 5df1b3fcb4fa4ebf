"""A DOCX's text boxes are in the chunks, as a reader sees them on the page: after the
paragraph they stand at, in a header with the header; once, though Word writes a box twice
(as a drawing and as the VML copy for older Words, in <mc:AlternateContent>)."""

from __future__ import annotations

from pathlib import Path

from tests.apps.rag.documents import chunked

NAMESPACES = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in {
        "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
        "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
        "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
        "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "v": "urn:schemas-microsoft-com:vml",
    }.items()
)


def _content(text: str) -> str:
    return f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"


def _vml(text: str) -> str:
    """A text box as older Words write it (a VML shape)."""
    return (
        '<w:pict><v:shape style="width:144pt;height:36pt">'
        f"<v:textbox>{_content(text)}</v:textbox></v:shape></w:pict>"
    )


def _drawing(text: str) -> str:
    """A text box as Word writes it since 2010: a drawing, its VML copy as the fallback."""
    drawing = (
        '<w:drawing><wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0"'
        ' relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column"><wp:posOffset>0'
        '</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0'
        '</wp:posOffset></wp:positionV><wp:extent cx="1828800" cy="457200"/><wp:wrapSquare'
        ' wrapText="bothSides"/><wp:docPr id="1" name="Textfeld 1"/><a:graphic><a:graphicData'
        ' uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        f'<wps:cNvSpPr txBox="1"/><wps:spPr/><wps:txbx>{_content(text)}</wps:txbx><wps:bodyPr/>'
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )
    return (
        f'<mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
        f"<mc:Fallback>{_vml(text)}</mc:Fallback></mc:AlternateContent>"
    )


def _boxed(paragraph, shape: str) -> None:
    """`shape` (a text box) anchored in a run at the end of `paragraph`."""
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(f"<w:r {NAMESPACES}>{shape}</w:r>"))


def write_aushang(path: Path) -> Path:
    import docx

    document = docx.Document()
    _boxed(document.sections[0].header.paragraphs[0], _vml("Aushang Nr. 17/2024"))
    document.add_heading("Bürgersprechstunde", level=1)
    first = document.add_paragraph("Die Sprechstunde findet im Rathaus statt.")
    _boxed(first, _drawing("Raum 204, zweiter Stock"))
    second = document.add_paragraph("Eine Anmeldung ist nicht nötig.")
    _boxed(second, _vml("Telefon 0221 123"))
    document.save(str(path))
    return path


def test_text_boxes_are_read_once_after_their_paragraph_and_in_the_header(
    tmp_path: Path,
) -> None:
    section = "Bürgersprechstunde"
    assert chunked(write_aushang(tmp_path / "aushang.docx")) == [
        (section, "Die Sprechstunde findet im Rathaus statt."),
        (section, "Raum 204, zweiter Stock"),  # once: not again from the VML fallback
        (section, "Eine Anmeldung ist nicht nötig."),
        (section, "Telefon 0221 123"),
        (None, "Aushang Nr. 17/2024"),
    ]


def test_a_text_box_inside_a_text_box_is_read_once(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("Lageplan des Rathauses.")
    inner = _vml("Eingang Nord")
    outer = _content("Erdgeschoss").replace("</w:p>", f"<w:r>{inner}</w:r></w:p>")
    _boxed(paragraph, f"<w:pict><v:shape><v:textbox>{outer}</v:textbox></v:shape></w:pict>")
    document.save(str(tmp_path / "plan.docx"))
    assert chunked(tmp_path / "plan.docx") == [
        (None, "Lageplan des Rathauses."),
        (None, "Erdgeschoss\nEingang Nord"),
    ]
