"""What Word writes and LibreOffice does not, written here by hand after the OOXML spec (ECMA-376
Part 1: §17.5.2 content controls, §17.13.5 tracked changes, §17.16 fields, §21.4 diagrams) and
read as Word shows it: a content control's text (in a paragraph, around a table's rows, its
cells, a cell's paragraphs), not its placeholder; inserted and moved text once, deleted text
never; a field's result, not its code, nor the result of a field nested in the code, nor a
PAGE field's number; a picture's description once; a SmartArt diagram's text after its
paragraph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.test_docx_text_boxes import NAMESPACES

XMLNS = (
    f'{NAMESPACES} xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    ' xmlns:o="urn:schemas-microsoft-com:office:office"'
)
CHANGE = 'w:author="Ordnungsamt" w:date="2025-02-10T09:00:00Z"'


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _field(code: str, result: str) -> str:
    """A complex field: its code, then the result Word shows ({ code } under Alt+F9)."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{code}</w:instrText></w:r>'
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>{result}'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _cell(text: str) -> str:
    return f"<w:tc><w:p>{_run(text)}</w:p></w:tc>"


def _control(content: str, placeholder: bool = False) -> str:
    shown = "<w:showingPlcHdr/>" if placeholder else ""
    return f"<w:sdt><w:sdtPr>{shown}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"


def _append(parent: Any, xml: str) -> None:
    """The elements of `xml` (WordprocessingML without its namespaces) at the end of `parent`,
    before a body's section properties."""
    from docx.oxml import parse_xml

    end = parent.find(f"{{{parent.nsmap['w']}}}sectPr")
    for element in parse_xml(f"<w:body {XMLNS}>{xml}</w:body>"):
        if end is None:
            parent.append(element)
        else:
            end.addprevious(element)


def _document(body: str, footer: str = "") -> Any:
    """A DOCX of `body` (blocks) and a footer of one paragraph's `footer` (runs), unsaved."""
    import docx

    document = docx.Document()
    _append(document.element.body, body)
    if footer:
        _append(document.sections[0].footer.paragraphs[0]._p, footer)
    return document


def _texts(path: Path, document: Any) -> list[str]:
    """The text of each passage of `document`, saved at `path`."""
    document.save(str(path))
    return [p.text for p in read_document(path)]


def test_content_controls_are_read_their_placeholders_are_not(tmp_path: Path) -> None:
    header = f"<w:tr>{_cell('Name')}{_cell('Anschrift')}</w:tr>"
    repeated = "".join(  # a form's repeating section: a control around each row's control
        _control(f"<w:tr>{_cell(name)}{_control(_cell(street))}</w:tr>")
        for name, street in [("Erika Mustermann", "Hauptstraße 1"), ("Max Muster", "Ring 2")]
    )
    filled = _control(f"<w:p>{_run('Eva Beispiel')}</w:p>")  # a cell's paragraph in a control
    last = f"<w:tr><w:tc>{filled}</w:tc>{_cell('Weg 3')}</w:tr>"
    body = (
        f"<w:p>{_run('Antragsteller: ')}{_control(_run('Stadtwerke Musterhausen'))}</w:p>"
        f"<w:p>{_run('Datum: ')}"
        f"{_control(_run('Klicken oder tippen Sie hier, um Text einzugeben.'), True)}</w:p>"
        f"<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>{header}"
        f"{_control(repeated)}{last}</w:tbl>"
    )
    assert _texts(tmp_path / "antrag.docx", _document(body)) == [
        "Antragsteller: Stadtwerke Musterhausen",
        "Datum: ",
        "Name | Anschrift\nErika Mustermann | Hauptstraße 1\nMax Muster | Ring 2\n"
        "Eva Beispiel | Weg 3",
    ]


def test_deleted_text_is_not_read_inserted_and_moved_text_once(tmp_path: Path) -> None:
    body = (
        f"<w:p>{_run('Die Frist beträgt ')}"
        f'<w:del w:id="1" {CHANGE}><w:r><w:delText>zwei</w:delText></w:r></w:del>'
        f'<w:ins w:id="2" {CHANGE}>{_run("vier")}</w:ins>{_run(" Wochen.")}</w:p>'
        f'<w:p><w:pPr><w:rPr><w:del w:id="3" {CHANGE}/></w:rPr></w:pPr>'
        f'<w:del w:id="4" {CHANGE}><w:r><w:delText>Eine Verlängerung ist ausgeschlossen.'
        "</w:delText></w:r></w:del></w:p>"
        f'<w:p><w:moveFrom w:id="5" {CHANGE}>{_run("Der Widerspruch ist schriftlich einzulegen.")}'
        "</w:moveFrom></w:p>"
        f"<w:p>{_run('Rechtsbehelfsbelehrung: ')}"
        f'<w:moveTo w:id="6" {CHANGE}>{_run("Der Widerspruch ist schriftlich einzulegen.")}'
        "</w:moveTo></w:p>"
    )
    assert _texts(tmp_path / "frist.docx", _document(body)) == [
        "Die Frist beträgt vier Wochen.",
        "Rechtsbehelfsbelehrung: Der Widerspruch ist schriftlich einzulegen.",
    ]


def test_a_field_is_its_result_and_a_page_number_is_not_read(tmp_path: Path) -> None:
    salutation = _field(  # { IF "{ MERGEFIELD Anrede }" = "Frau" "Sehr geehrte Frau" … }
        ' IF "</w:instrText></w:r>'
        + _field(" MERGEFIELD Anrede ", _run("Frau"))
        + '<w:r><w:instrText xml:space="preserve">" = "Frau" "Sehr geehrte Frau"'
        ' "Sehr geehrter Herr" ',
        _run("Sehr geehrte Frau"),
    )
    body = (
        f"<w:p>{_run('Aktenzeichen: ')}{_field(' DOCPROPERTY Aktenzeichen ', _run('32-741'))}"
        f'{_run(", Stand: ")}<w:fldSimple w:instr=" DATE \\@ &quot;d. MMMM yyyy&quot; ">'
        f"{_run('1. März 2025')}</w:fldSimple></w:p>"
        f'<w:p><w:bookmarkStart w:id="0" w:name="Anrede"/>{salutation}'
        f'<w:bookmarkEnd w:id="0"/>{_run(" Mustermann,")}</w:p>'
        f'<w:p>{_run("Die Satzung steht unter ")}<w:hyperlink w:anchor="Satzung">'
        f"{_run('§ 3 Gebühren')}</w:hyperlink>{_run('.')}</w:p>"
    )
    footer = (
        f"{_run('Seite ')}{_field(' PAGE ', _run('3'))}{_run(' von ')}"
        f"{_field(' NUMPAGES ', _run('4'))}{_run(' · Blatt ')}"
        f'<w:fldSimple w:instr=" PAGE ">{_run("3")}</w:fldSimple>'
    )
    document = _document(body, footer)
    assert _texts(tmp_path / "brief.docx", document) == [
        "Aktenzeichen: 32-741, Stand: 1. März 2025",
        "Sehr geehrte Frau Mustermann,",
        "Die Satzung steht unter § 3 Gebühren.",
        "Seite  von 4 · Blatt",
    ]


def _picture(description: str) -> str:
    """A picture as Word writes it with its VML copy for older Words, both described."""
    drawing = (
        '<w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/>'
        f'<wp:docPr id="7" name="Grafik 7" descr="{description}"/><a:graphic><a:graphicData'
        ' uri="http://schemas.openxmlformats.org/drawingml/2006/picture"/></a:graphic>'
        "</wp:inline></w:drawing>"
    )
    vml = (
        f'<w:pict><v:shape alt="{description}"><v:imagedata o:title="{description}"/>'
        "</v:shape></w:pict>"
    )
    return (
        f'<w:r><mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
        f"<mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"
    )


def _diagram(document: Any, points: str) -> str:
    """A SmartArt diagram's run: its data model (`points`) a part of the document."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    model = f"<dgm:dataModel {XMLNS}><dgm:ptLst>{points}</dgm:ptLst><dgm:cxnLst/></dgm:dataModel>"
    name = PackURI("/word/diagrams/data1.xml")
    part = Part(name, CT.DML_DIAGRAM_DATA, model.encode(), document.part.package)
    relation = document.part.relate_to(part, RT.DIAGRAM_DATA)
    return (
        '<w:r><w:drawing><wp:inline><wp:extent cx="5486400" cy="3200400"/>'
        '<wp:docPr id="8" name="Diagramm 8"/><a:graphic><a:graphicData'
        ' uri="http://schemas.openxmlformats.org/drawingml/2006/diagram">'
        f'<dgm:relIds r:dm="{relation}" r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r>"
    )


def _point(kind: str, *paragraphs: str) -> str:
    texts = "".join(
        f"<a:p>{''.join(f'<a:r><a:t>{t}</a:t></a:r>' for t in p.split('|'))}</a:p>"
        for p in paragraphs
    )
    typed = f' type="{kind}"' if kind else ""
    model = f'modelId="{{{kind}{len(paragraphs)}}}"'
    return f"<dgm:pt {model}{typed}><dgm:t><a:bodyPr/>{texts}</dgm:t></dgm:pt>"


def test_a_picture_s_description_and_a_diagram_s_text_are_read_once(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    points = "".join([
        _point("doc"),
        _point("", "Bürgermeister"),
        _point("parTrans"),
        _point("", "Ordnungs|amt", "Gewerbe und Verkehr"),
        _point("asst", "Büro des Bürgermeisters"),
        _point("pres"),
    ])  # fmt: skip
    body = (
        f"<w:p>{_run('Das Wappen')}{_picture('Wappen der Stadt Musterhausen')}"
        f"{_run('steht oben.')}</w:p>"
        f"<w:p>{_run('Die Verwaltung gliedert sich so:')}{_diagram(document, points)}</w:p>"
        f"<w:p>{_run('Stand: März 2025')}</w:p>"
    )
    _append(document.element.body, body)
    assert _texts(tmp_path / "verwaltung.docx", document) == [
        "Das Wappen Wappen der Stadt Musterhausen steht oben.",
        "Die Verwaltung gliedert sich so:",
        "Bürgermeister\nOrdnungsamt\nGewerbe und Verkehr\nBüro des Bürgermeisters",
        "Stand: März 2025",
    ]


def test_a_footnote_whose_mark_was_deleted_is_not_read(tmp_path: Path) -> None:
    from tests.apps.rag.test_docx_text_kept import _notes

    body = (
        f'<w:p>{_run("Die Gebühr entfällt.")}<w:del w:id="9" {CHANGE}><w:r>'
        '<w:footnoteReference w:id="1"/></w:r></w:del></w:p>'
    )
    document = _document(body)
    _notes(document, "footnote", "Nach der alten Satzung.")
    assert _texts(tmp_path / "entfall.docx", document) == ["Die Gebühr entfällt."]
