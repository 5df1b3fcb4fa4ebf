"""A paragraph of a numbered list is read with its number as Word and Writer show it („3.",
„a)", „2.1", „§ 2", „II."), which neither format keeps as text: a citation („Ziffer 3",
„Buchstabe b") names the number. Word's numbering (numbering.xml, ECMA-376 Part 1 §17.9) is
written here by hand, python-docx writes none; Writer's list styles with odfpy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.apps.rag.list_numbers import letters, roman, written
from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.test_docx_as_word_writes_it import XMLNS, _append, _run

BULLET = "\uf0b7"  # Word's bullet, in the Symbol font


def _level(
    level: int, kind: str, text: str, start: int = 1, extra: str = "", style: str = ""
) -> str:
    """A list level (<w:lvl>): its number format, its text ("%1.%2"), its start."""
    linked = f'<w:pStyle w:val="{style}"/>' if style else ""
    return (
        f'<w:lvl w:ilvl="{level}"><w:start w:val="{start}"/>{linked}'
        f'<w:numFmt w:val="{kind}"/>{extra}<w:lvlText w:val="{text}"/></w:lvl>'
    )


# abstract lists: 1 the decree's, 2 bullets, 3 „§ n" for the headings, 4 Roman, 5 a level
# that never restarts, 6 linked to a numbering style ("Gliederung", whose list is 7's)
NUMBERING = (
    '<w:abstractNum w:abstractNumId="1">'
    + _level(0, "decimal", "%1.")
    + _level(1, "decimal", "%1.%2")
    + _level(2, "lowerLetter", "%3)")
    + '</w:abstractNum><w:abstractNum w:abstractNumId="2">'
    + _level(0, "bullet", BULLET)
    + '</w:abstractNum><w:abstractNum w:abstractNumId="3">'
    + _level(0, "decimal", "§ %1", extra='<w:suff w:val="space"/>', style="Heading1")
    + '</w:abstractNum><w:abstractNum w:abstractNumId="4">'
    + _level(0, "upperRoman", "%1.")
    + '</w:abstractNum><w:abstractNum w:abstractNumId="5">'
    + _level(0, "decimal", "%1.")
    + _level(1, "decimal", "(%2)", extra='<w:lvlRestart w:val="0"/>')
    + '</w:abstractNum><w:abstractNum w:abstractNumId="6">'
    + '<w:numStyleLink w:val="Gliederung"/>'
    + '</w:abstractNum><w:abstractNum w:abstractNumId="7"><w:styleLink w:val="Gliederung"/>'
    + _level(0, "upperLetter", "%1.")
    + "</w:abstractNum>"
    + "".join(
        f'<w:num w:numId="{num}"><w:abstractNumId w:val="{abstract}"/>{override}</w:num>'
        for num, abstract, override in [
            (1, 1, ""),
            (2, 2, ""),
            (3, 1, ""),  # the decree's list again: it goes on counting
            (4, 1, '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'),
            (5, 4, ""),  # the template's „List Number" style numbers with it
            (6, 3, ""),
            (7, 5, ""),
            (8, 6, ""),
            (9, 7, ""),
        ]
    )
)


def _numbered(text: str, num: int, level: int = 0, style: str = "") -> str:
    styled = f'<w:pStyle w:val="{style}"/>' if style else ""
    return (
        f'<w:p><w:pPr>{styled}<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/>'
        f"</w:numPr></w:pPr>{_run(text)}</w:p>"
    )


def _plain(text: str, style: str = "") -> str:
    styled = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{styled}{_run(text)}</w:p>"


def _document(body: str) -> Any:
    """A DOCX with `NUMBERING` as its numbering, its Heading 1 numbered „§ n" by its style (as
    Word's outline numbering does), a numbering style "Gliederung", and `body`."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    numbering = document.part.numbering_part.element
    for old in list(numbering):
        numbering.remove(old)
    for definition in parse_xml(f"<w:numbering {XMLNS}>{NUMBERING}</w:numbering>"):
        numbering.append(definition)
    heading = document.styles["Heading 1"].element
    heading.get_or_add_pPr().append(parse_xml(f'<w:numPr {XMLNS}><w:numId w:val="6"/></w:numPr>'))
    document.styles.element.append(
        parse_xml(
            f'<w:style {XMLNS} w:type="numbering" w:styleId="Gliederung"><w:name'
            ' w:val="Gliederung"/><w:pPr><w:numPr><w:numId w:val="9"/></w:numPr></w:pPr>'
            "</w:style>"
        )
    )
    _append(document.element.body, body)
    return document


def _read(path: Path, document: Any) -> list[tuple[str | None, str]]:
    document.save(str(path))
    return [(p.section, p.text) for p in read_document(path)]


def test_a_decree_s_numbers_are_read_as_word_shows_them(tmp_path: Path) -> None:
    body = (
        _plain("Sondernutzungen", "Title")
        + _plain("Erlaubnis", "Heading1")
        + _numbered("Die Erlaubnis ist schriftlich zu beantragen.", 1)
        + _numbered("Dem Antrag sind beizufügen:", 1)
        + _numbered("ein Lageplan,", 1, 1)
        + _numbered("eine Beschreibung der Nutzung, und zwar", 1, 1)
        + _numbered("ihrer Dauer,", 1, 2)
        + _numbered("ihres Umfangs.", 1, 2)
        + _numbered("Die Erlaubnis kann befristet werden.", 1)
        + _numbered("Sie ist widerruflich.", 1, 1)  # 3.1: the second level began again
        + _numbered("", 1)  # an empty item counts, but is no text of its own
        + _numbered("Warenauslagen", 2)
        + "<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc>"
        + _numbered("Die Gebühr wird monatlich erhoben.", 3)  # in a table, still counted
        + "</w:tc></w:tr></w:tbl>"
        + _plain("Gebühren", "Heading1")
        + _numbered("Die Gebührenordnung gilt entsprechend.", 4)  # restarted at 1
        + _numbered("Gebühren werden nicht erstattet.", 3)  # goes on from where 4 is
    )
    sections = [f"Sondernutzungen › § {n}" for n in ("1 Erlaubnis", "2 Gebühren")]
    assert _read(tmp_path / "erlaubnis.docx", _document(body)) == [
        (sections[0], "1. Die Erlaubnis ist schriftlich zu beantragen."),
        (sections[0], "2. Dem Antrag sind beizufügen:"),
        (sections[0], "2.1 ein Lageplan,"),
        (sections[0], "2.2 eine Beschreibung der Nutzung, und zwar"),
        (sections[0], "a) ihrer Dauer,"),
        (sections[0], "b) ihres Umfangs."),
        (sections[0], "3. Die Erlaubnis kann befristet werden."),
        (sections[0], "3.1 Sie ist widerruflich."),
        (sections[0], "Warenauslagen"),  # a bullet is no number
        (sections[0], "5. Die Gebühr wird monatlich erhoben."),
        (sections[1], "1. Die Gebührenordnung gilt entsprechend."),
        (sections[1], "2. Gebühren werden nicht erstattet."),
    ]


def test_a_style_s_list_a_level_that_goes_on_a_numbering_style_and_a_text_box(
    tmp_path: Path,
) -> None:
    box = (  # a text box holding a list of the decree's list
        "<w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        f"{_numbered('Eigene Zählung', 1)}</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    )
    body = (
        _plain("Erstens", "ListNumber")  # numbered by its style: „List Number" is list 5
        + _plain("Zweitens", "ListNumber")
        + _numbered("Ohne Nummer", 0, style="ListNumber")  # w:numId 0: no list
        + _plain("Drittens", "ListNumber")
        + _numbered("Antrag", 7)
        + _numbered("Name", 7, 1)
        + _numbered("Bescheid", 7)
        + _numbered("Datum", 7, 1)  # (2): this level never restarts
        + _numbered("Anlage", 8)  # through the numbering style "Gliederung"
        + _numbered("Karte", 9)  # the style's own list: counts on
        + _numbered("Im Kasten", 1).replace("</w:p>", f"{box}</w:p>")
    )
    assert [text for _section, text in _read(tmp_path / "liste.docx", _document(body))] == [
        "I. Erstens",
        "II. Zweitens",
        "Ohne Nummer",
        "III. Drittens",
        "1. Antrag",
        "(1) Name",
        "2. Bescheid",
        "(2) Datum",
        "A. Anlage",
        "B. Karte",
        "1. Im Kasten",
        "1. Eigene Zählung",  # a text box counts its own lists
    ]


def test_letters_and_roman_numerals() -> None:
    assert [letters(n, repeated=True) for n in (1, 26, 27, 53)] == ["a", "z", "aa", "aaa"]
    assert [letters(n, repeated=False) for n in (1, 26, 27, 53)] == ["a", "z", "aa", "ba"]
    assert [roman(n) for n in (4, 9, 14, 1994, 0)] == ["iv", "ix", "xiv", "mcmxciv", "0"]
    # a crafted start value: digits, not a label of millions of letters
    assert letters(999_999_999, repeated=True) == "999999999" == roman(999_999_999)
    assert letters(520, repeated=True) == "z" * 20


def test_one_writing_of_a_number_for_both_readers() -> None:
    """DOCX and ODT name their styles apart („upperRoman“, „I“) and write them alike."""
    styles = ("1", "a", "A", "i", "I", "01", "", "١")  # the last: another script's digits
    assert [written(28, style) for style in styles] == [
        "28", "bb", "BB", "xxviii", "XXVIII", "28", "", "28"
    ]  # fmt: skip
    assert written(3, "01") == "03"
    assert written(28, "a", repeated=False) == "ab"  # Writer's count without letter sync


def _odt_list(style: str, *items: Any, **attributes: str) -> Any:
    """A Writer list of `style`: an item is a paragraph's text, or (its text, a nested list),
    or (its text, its start value)."""
    from odf.text import List, ListItem, P

    element = List(stylename=style, **attributes)
    for item in items:
        text, inner = item if isinstance(item, tuple) else (item, None)
        entry = ListItem(startvalue=inner) if isinstance(inner, int) else ListItem()
        entry.addElement(P(text=text))
        if inner is not None and not isinstance(inner, int):
            entry.addElement(inner)
        element.addElement(entry)
    return element


def test_an_odt_s_numbers_are_read_as_writer_shows_them(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.text import ListLevelStyleBullet, ListLevelStyleNumber, ListStyle, P

    document = OpenDocumentText()
    numbered = ListStyle(name="Ziffern")
    numbered.addElement(ListLevelStyleNumber(level=1, numformat="1", numsuffix="."))
    numbered.addElement(ListLevelStyleNumber(level=2, numformat="a", numsuffix=")"))
    parts = ListStyle(name="Teile")
    parts.addElement(ListLevelStyleNumber(level=1, numformat="I", numsuffix="."))
    parts.addElement(ListLevelStyleNumber(level=2, numformat="1", displaylevels=2))
    bullets = ListStyle(name="Punkte")
    bullets.addElement(ListLevelStyleBullet(level=1, bulletchar="•"))
    for style in (numbered, parts, bullets):
        document.automaticstyles.addElement(style)
    body = document.text
    body.addElement(
        _odt_list("Ziffern", ("Antrag stellen", _odt_list("Ziffern", "Name", "Anschrift")),
                  "Bescheid abwarten")
    )  # fmt: skip
    body.addElement(P(text="Danach:"))
    body.addElement(_odt_list("Ziffern", "Widerspruch", continuenumbering="true"))
    body.addElement(_odt_list("Ziffern", ("Klage", 5), "Kosten"))  # starts again: at 5
    body.addElement(_odt_list("Punkte", "Hinweis"))
    body.addElement(_odt_list("Teile", ("Allgemeines", _odt_list("Teile", "Zweck", "Begriffe"))))
    path = tmp_path / "verfahren.odt"
    document.save(str(path))
    assert [p.text for p in read_document(path)] == [
        "1. Antrag stellen\na) Name\nb) Anschrift\n2. Bescheid abwarten",
        "Danach:",
        "3. Widerspruch",
        "5. Klage\n6. Kosten",
        "Hinweis",
        "I. Allgemeines\nI.1 Zweck\nI.2 Begriffe",
    ]
