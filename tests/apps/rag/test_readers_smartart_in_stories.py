"""A SmartArt diagram's text is read wherever Word shows it: in a header and in a text box as
in the body, after the paragraph it stands at; its data is a part of the story holding it
(word/diagrams/data*.xml, related to the header's part, not to the document's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.test_docx_as_word_writes_it import XMLNS, _append, _point, _run


def _diagram(part: Any, name: str, *shapes: str) -> str:
    """A run showing a SmartArt diagram whose shapes say `shapes`, its data related to `part`."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    points = _point("doc") + "".join(_point("", shape) for shape in shapes)
    model = f"<dgm:dataModel {XMLNS}><dgm:ptLst>{points}</dgm:ptLst><dgm:cxnLst/></dgm:dataModel>"
    data = Part(PackURI(f"/word/diagrams/{name}.xml"), CT.DML_DIAGRAM_DATA, model.encode(),
                part.package)  # fmt: skip
    relation = part.relate_to(data, RT.DIAGRAM_DATA)
    return (
        '<w:r><w:drawing><wp:inline><wp:extent cx="5486400" cy="3200400"/>'
        '<wp:docPr id="9" name="Diagramm 9"/><a:graphic><a:graphicData'
        ' uri="http://schemas.openxmlformats.org/drawingml/2006/diagram">'
        f'<dgm:relIds r:dm="{relation}" r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r>"
    )


def test_a_diagram_in_a_header_and_in_a_text_box_is_read(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    header = document.sections[0].header
    in_header = _diagram(header.part, "data1", "Ordnungsamt", "Bürgeramt")
    _append(header.paragraphs[0]._p, f"{_run('Dezernat II')}{in_header}")
    in_box = _diagram(document.part, "data2", "Antrag", "Prüfung", "Bescheid")
    box = (
        "<w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        f"<w:p>{_run('Ablauf:')}{in_box}</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    )
    _append(document.element.body, f"<w:p>{_run('So wird entschieden.')}{box}</w:p>")
    path = tmp_path / "ablauf.docx"
    document.save(str(path))
    assert [p.text for p in read_document(path)] == [
        "So wird entschieden.",
        "Ablauf:\nAntrag\nPrüfung\nBescheid",
        "Dezernat II\nOrdnungsamt\nBürgeramt",
    ]
