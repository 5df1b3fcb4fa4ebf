"""A picture's "description" that is only its file's name or path, or the name the program gave
the picture ("Grafik 7", "Bild1"), is not read: older Words fill a picture's alt text in with
the path it was inserted from ("C:\\Users\\mmuster\\…\\IMG_0412.JPG", which names the person
who inserted it), web editors with the file's name. It names no content; a search would find
"IMG_0412.JPG" and the user's name. A description in words, a title beside it and the words
around the picture are read as before, in DOCX, ODT, HTML and Markdown."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.test_docx_as_word_writes_it import _document, _picture, _run, _texts

PATH = r"C:\Users\mmuster\Pictures\IMG_0412.JPG"


def test_a_docx_picture_described_by_its_path_is_not_read(tmp_path: Path) -> None:
    body = (
        f"<w:p>{_run('Das Wappen')}{_picture(PATH)}{_run('steht oben.')}</w:p>"
        f"<w:p>{_run('Der Plan')}{_picture('Lageplan der Innenstadt')}{_run('folgt.')}</w:p>"
        f"<w:p>{_run('Das Foto')}{_picture('Grafik 7')}{_run('fehlt.')}</w:p>"  # its name
    )
    assert _texts(tmp_path / "wappen.docx", _document(body)) == [
        "Das Wappen steht oben.",
        "Der Plan Lageplan der Innenstadt folgt.",
        "Das Foto fehlt.",
    ]


def test_an_odt_picture_s_file_name_is_not_read_its_title_is(tmp_path: Path) -> None:
    from odf.draw import Frame, Image
    from odf.opendocument import OpenDocumentText
    from odf.svg import Desc, Title
    from odf.text import P

    document = OpenDocumentText()
    paragraph = P(text="Das Wappen")
    frame = Frame(anchortype="as-char", width="1cm", height="1cm")
    frame.addElement(Image(href="Pictures/wappen.png"))
    frame.addElement(Title(text="Wappen der Stadt"))
    frame.addElement(Desc(text="wappen.png"))
    paragraph.addElement(frame)
    paragraph.addText("steht oben.")
    document.text.addElement(paragraph)
    photo = P(text="Das Foto")
    named = Frame(anchortype="as-char", width="1cm", height="1cm", name="Bild1")
    named.addElement(Image(href="Pictures/foto.png"))
    named.addElement(Title(text="Bild1"))  # the frame's name, as its title
    photo.addElement(named)
    photo.addText("fehlt.")
    document.text.addElement(photo)
    document.save(str(tmp_path / "wappen.odt"))
    assert [p.text for p in read_document(tmp_path / "wappen.odt")] == [
        "Das Wappen Wappen der Stadt steht oben.",
        "Das Foto fehlt.",
    ]


def test_an_html_image_whose_alt_is_its_file_name_is_not_read(tmp_path: Path) -> None:
    page = tmp_path / "wappen.html"
    page.write_text(
        '<p>Das Wappen<img src="a.jpg" alt="IMG_0412.JPG">steht oben.</p>'
        '<p>Der Plan<img src="b.png" alt="Lageplan der Innenstadt">folgt.</p>',
        encoding="utf-8",
    )
    [passage] = read_document(page)
    assert passage.text == "Das Wappen steht oben.\nDer Plan Lageplan der Innenstadt folgt."


def test_a_markdown_image_named_by_its_file_is_not_read(tmp_path: Path) -> None:
    note = tmp_path / "wappen.md"
    note.write_text(
        "Das Wappen![image.png](image.png)steht oben. Der Plan![Lageplan](plan.png)folgt.\n",
        encoding="utf-8",
    )
    [passage] = read_document(note)
    assert passage.text == "Das Wappen steht oben. Der Plan Lageplan folgt."
