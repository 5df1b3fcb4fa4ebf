"""Each format read into passages that keep their page or section."""

from pathlib import Path

import pytest

from gemeingut.apps.rag.readers import read_document, text_encoding
from gemeingut.errors import InputError
from tests.apps.rag.documents import (
    LABELLED,
    PAGES,
    write_buergeramt_html,
    write_docx,
    write_html,
    write_hundesteuer_odt,
    write_labelled_pdf,
    write_markdown,
    write_odt,
    write_parken_markdown,
    write_pdf,
    write_scanned_pdf,
)


def test_a_pdf_keeps_its_page_numbers(tmp_path: Path) -> None:
    passages = read_document(write_pdf(tmp_path / "leitfaden.pdf"))
    assert [p.page for p in passages] == [1, 2, 3]
    assert [p.text for p in passages] == PAGES


def test_a_pdf_with_page_labels_keeps_the_page_numbers_printed_on_it(tmp_path: Path) -> None:
    passages = read_document(write_labelled_pdf(tmp_path / "satzung.pdf"))
    assert [p.text for p in passages] == LABELLED
    assert [p.page for p in passages] == ["i", "ii", 1, 2]  # the front matter by its label


def test_page_labels_that_tell_no_page_apart_leave_the_sheets_places(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=write_pdf(tmp_path / "plain.pdf"))
    writer.set_page_label(0, 2, "/D", start=1)
    writer.set_page_label(1, 2, "/D", start=1)  # sheets 2 and 3 both printed as 1 and 2
    writer.write(tmp_path / "twice.pdf")
    assert [p.page for p in read_document(tmp_path / "twice.pdf")] == [1, 2, 3]


def test_a_scanned_pdf_is_read_with_tesseract_page_by_page(tmp_path: Path) -> None:
    passages = read_document(write_scanned_pdf(tmp_path / "scan.pdf"))
    assert [p.page for p in passages] == [1, 2, 3]
    assert [" ".join(p.text.split()) for p in passages] == PAGES


def test_a_scan_without_tesseract_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytesseract

    scan = write_scanned_pdf(tmp_path / "scan.pdf")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "kein-ocr"))
    with pytest.raises(InputError) as missing:
        read_document(scan)
    assert "scan.pdf, Seite 1 ist eine gescannte Seite" in str(missing.value)
    assert "tesseract-ocr-deu" in str(missing.value)


@pytest.mark.parametrize(
    ("writer", "name", "expected"),
    [
        (write_docx, "a.docx", [("Zuschlag", PAGES[0]), ("Zuschlag › Fristen", PAGES[1])]),
        (write_odt, "a.odt", [("Zuschlag", PAGES[0]), ("Barrierefreiheit", PAGES[2])]),
        (write_html, "a.html", [("Zuschlag", PAGES[0]), ("Zuschlag › Fristen", PAGES[1])]),
        (
            write_markdown,
            "a.md",
            [("Leitfaden › Zuschlag", PAGES[0]), ("Leitfaden › Fristen", PAGES[1])],
        ),
    ],
)
def test_text_formats_keep_the_headings_above_each_passage(
    tmp_path: Path, writer, name: str, expected: list[tuple[str, str]]
) -> None:
    passages = read_document(writer(tmp_path / name))
    assert [(p.section, p.text.strip()) for p in passages] == expected
    assert all(p.page is None for p in passages)


@pytest.mark.parametrize(
    ("writer", "name", "expected"),
    [
        (
            write_hundesteuer_odt,
            "hundesteuer.odt",
            [
                "Satzung über die Hundesteuer › § 1 Steuergegenstand",
                "Satzung über die Hundesteuer › § 2 Steuersatz",
            ],
        ),
        (
            write_parken_markdown,
            "parken.md",
            [
                "Parkraumbewirtschaftung › Bewohnerparken",
                "Parkraumbewirtschaftung › Bewohnerparken › Antrag",
                "Parkraumbewirtschaftung › Zonen",  # a heading closes the deeper ones
            ],
        ),
        (
            write_buergeramt_html,
            "sprechzeiten.html",
            [
                "Sprechzeiten des Bürgeramts › Montag bis Mittwoch",  # the <h1>, not <title>
                "Sprechzeiten des Bürgeramts › Donnerstag",
            ],
        ),
    ],
)
def test_each_passage_keeps_the_title_and_every_heading_above_it(
    tmp_path: Path, writer, name: str, expected: list[str]
) -> None:
    passages = read_document(writer(tmp_path / name))
    assert [p.section for p in passages] == expected
    assert not any("›" in p.text or "Satzung über" in p.text for p in passages)


def test_a_title_paragraph_heads_the_path_in_docx_and_odt(tmp_path: Path) -> None:
    import docx
    from odf.opendocument import OpenDocumentText
    from odf.style import Style
    from odf.text import H, P

    document = docx.Document()
    document.add_heading("Friedhofssatzung", level=0)  # the Title style
    document.add_heading("§ 3 Gebühren", level=1)
    document.add_paragraph("Die Grabnutzung kostet 800 Euro.")
    document.save(str(tmp_path / "friedhof.docx"))
    [passage] = read_document(tmp_path / "friedhof.docx")
    assert passage.section == "Friedhofssatzung › § 3 Gebühren"
    writer = OpenDocumentText()
    title = Style(name="Title", family="paragraph")
    writer.styles.addElement(title)
    writer.text.addElement(P(stylename=title, text="Friedhofssatzung"))
    writer.text.addElement(H(outlinelevel=1, text="§ 3 Gebühren"))
    writer.text.addElement(P(text="Die Grabnutzung kostet 800 Euro."))
    writer.save(str(tmp_path / "friedhof.odt"))
    [passage] = read_document(tmp_path / "friedhof.odt")
    assert passage.section == "Friedhofssatzung › § 3 Gebühren"


def test_html_leaves_out_scripts_and_navigation(tmp_path: Path) -> None:
    text = " ".join(p.text for p in read_document(write_html(tmp_path / "a.html")))
    assert "var x" not in text and "Menü" not in text


def test_a_damaged_file_is_named_with_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    damaged = r"kaputt\.pdf: die Datei ist beschädigt oder keine PDF-Datei \(Hinweis"
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError, match=damaged) as failed:
        read_document(broken)  # the parser's own English words go to the debug log only
    assert failed.value.hint and "technisch" not in str(failed.value)
    cause = failed.value.__cause__
    assert type(cause).__name__ not in str(failed.value)
    (logged,) = [r for r in caplog.records if "kaputt.pdf" in r.getMessage()]
    assert "PDF" in logged.getMessage() and type(cause).__name__ in logged.getMessage()
    # not a warning: the CLI prints those on stderr and a server logs them for its operator
    assert logged.levelno == logging.DEBUG, logged.levelname
    docx = tmp_path / "kaputt.docx"
    docx.write_bytes(b"PK not a zip")
    with pytest.raises(InputError, match=r"kaputt\.docx: die Datei ist beschädigt oder keine DOCX"):
        read_document(docx)


def test_unknown_formats_and_files_that_are_no_text_are_refused_clearly(tmp_path: Path) -> None:
    sheet = tmp_path / "tabelle.xlsx"
    sheet.write_bytes(b"")
    with pytest.raises(InputError, match=r"Typ \.xlsx können nicht gelesen werden") as failed:
        read_document(sheet)
    assert ".pdf" in str(failed.value.hint)
    binary = tmp_path / "programm.txt"
    binary.write_bytes(b"MZ\x90\x00\x03\x00\xff\xfe")
    with pytest.raises(InputError, match=r"programm\.txt: keine Textdatei \(sie enthält Null"):
        read_document(binary)
    odd = tmp_path / "steuer.txt"
    odd.write_bytes(b"Geb\x81hr")  # 0x81: a byte Windows-1252 does not use
    with pytest.raises(InputError, match=r"steuer\.txt: weder UTF-8 noch Windows-1252 \(Byte 3\)"):
        read_document(odd)


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_text_in_windows_encodings_is_read_and_its_encoding_named(
    tmp_path: Path, suffix: str
) -> None:
    written = "# Gebühren\n\nStraßenreinigung „Innenstadt“ – 5 € je Meter."
    windows = tmp_path / f"alt{suffix}"
    windows.write_bytes(written.encode("cp1252"))
    utf16 = tmp_path / f"neu{suffix}"
    utf16.write_bytes(written.encode("utf-16"))  # with its byte order mark
    utf8 = tmp_path / f"utf8{suffix}"
    utf8.write_text(written, encoding="utf-8")
    for path in (windows, utf16, utf8):
        text = " ".join(p.text.strip() for p in read_document(path))
        assert "Straßenreinigung „Innenstadt“ – 5 € je Meter." in text
    assert [text_encoding(p) for p in (windows, utf16, utf8)] == ["Windows-1252", "UTF-16", None]


def test_a_docx_table_is_read_row_by_row_in_document_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Gebühren", level=1)
    document.add_paragraph("Vor der Tabelle.")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Leistung", "Preis"
    table.cell(1, 0).text, table.cell(1, 1).text = "Personalausweis", "37 Euro"
    table.cell(2, 0).merge(table.cell(2, 1)).text = "Alle Preise brutto"
    document.add_paragraph("Nach der Tabelle.")
    document.save(str(tmp_path / "gebuehren.docx"))
    passages = read_document(tmp_path / "gebuehren.docx")
    assert [p.text for p in passages] == [
        "Vor der Tabelle.",
        "Leistung | Preis\nPersonalausweis | 37 Euro\nAlle Preise brutto",  # merged: once
        "Nach der Tabelle.",
    ]
    assert {p.section for p in passages} == {"Gebühren"}


def test_odt_sections_and_tables_are_read_under_their_heading(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P, Section

    document = OpenDocumentText()
    section = Section(name="Abschnitt1")
    section.addElement(H(outlinelevel=1, text="Friedhofssatzung"))
    section.addElement(P(text="Die Grabnutzungsgebühr beträgt 800 Euro."))
    document.text.addElement(section)
    table = Table(name="Gebühren")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    row = TableRow()
    for cell_text in ("Urnenbeisetzung", "300 Euro"):
        cell = TableCell()
        cell.addElement(P(text=cell_text))
        row.addElement(cell)
    table.addElement(row)
    document.text.addElement(table)
    document.save(str(tmp_path / "satzung.odt"))
    passages = read_document(tmp_path / "satzung.odt")
    assert [(p.section, p.text) for p in passages] == [
        ("Friedhofssatzung", "Die Grabnutzungsgebühr beträgt 800 Euro."),
        ("Friedhofssatzung", "Urnenbeisetzung | 300 Euro"),
    ]


def test_html_text_straight_in_a_div_is_read_in_order(tmp_path: Path) -> None:
    page = tmp_path / "bibliothek.html"
    page.write_text(
        "<html><head><title>Titel</title></head><body>"
        "<div>Die Bibliotheksgebühr beträgt <b>zehn</b> Euro.</div><span>Ausleihfrist</span>"
        "<h2>Mahnung</h2><div>Nach <a href='#'>drei</a> Wochen<div>kommt eine Mahnung.</div>"
        "</div></body></html>",
        encoding="utf-8",
    )
    assert [(p.section, p.text) for p in read_document(page)] == [
        ("Titel", "Die Bibliotheksgebühr beträgt zehn Euro.\nAusleihfrist"),  # no <h1>: <title>
        ("Titel › Mahnung", "Nach drei Wochen\nkommt eine Mahnung."),
    ]


def test_a_damaged_pdf_leaves_no_english_log_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4\nnonsense garbage\n")
    level = logging.getLogger("pypdf").level
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError, match="keine PDF-Datei"):
        read_document(broken)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")] == []
    assert logging.getLogger("pypdf").level == level  # quiet only while reading


def test_a_file_without_suffix_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "noext").write_text("Text", encoding="utf-8")
    with pytest.raises(InputError, match=r"noext: Dateien ohne Endung können nicht gelesen"):
        read_document(tmp_path / "noext")


def test_a_pdf_line_break_after_a_hyphen_keeps_a_suspended_compound(tmp_path: Path) -> None:
    lines = "Zuständig für den Straßen-\nund Wegebau ist die Verwal-\ntung, für Fuß-\noder Radwege"
    lines += (
        " das Bau-\nbzw. Ordnungsamt, für Bund-\nLänder-Fragen sowohl Schul-\nals auch Sportamt."
    )
    [passage] = read_document(write_pdf(tmp_path / "zustaendig.pdf", [lines]))
    assert passage.text == (
        "Zuständig für den Straßen- und Wegebau ist die Verwaltung, für Fuß- oder Radwege das "
        "Bau- bzw. Ordnungsamt, für Bund-\nLänder-Fragen sowohl Schul- als auch Sportamt."
    )


def _soft_hyphenated(folder: Path, suffix: str) -> Path:
    """A file in the format of `suffix` whose heading and text break words with a soft hyphen
    and a zero-width space, as authority web pages do."""
    heading, text = "Schul\u00adordnung", "Auf dem Schul\u00adgelände gilt Rauch\u200bverbot."
    path = folder / f"schule{suffix}"
    if suffix == ".html":
        path.write_text(
            "<html><body><h1>Schul&shy;ordnung</h1><p>Auf dem Schul&shy;gelände gilt "
            "Rauch&#8203;verbot.</p></body></html>",
            encoding="utf-8",
        )
    elif suffix == ".md":
        path.write_text(f"# {heading}\n\n{text}\n", encoding="utf-8")
    elif suffix == ".txt":
        path.write_text(text, encoding="utf-8")
    elif suffix == ".docx":
        import docx

        document = docx.Document()
        document.add_heading(heading, level=1)
        document.add_paragraph(text)
        document.save(str(path))
    else:
        from odf.opendocument import OpenDocumentText
        from odf.text import H, P

        document = OpenDocumentText()
        document.text.addElement(H(outlinelevel=1, text=heading))
        document.text.addElement(P(text=text))
        document.save(str(path))
    return path


@pytest.mark.parametrize("suffix", [".html", ".md", ".txt", ".docx", ".odt"])
def test_soft_hyphens_and_zero_width_spaces_are_taken_out_of_every_format(
    tmp_path: Path, suffix: str
) -> None:
    [passage] = read_document(_soft_hyphenated(tmp_path, suffix))
    assert passage.text.strip() == "Auf dem Schulgelände gilt Rauchverbot."
    assert passage.section == (None if suffix == ".txt" else "Schulordnung")


def test_a_soft_hyphen_at_a_line_end_joins_its_word(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Die Verwal\u00ad\ntung entscheidet.", encoding="utf-8")
    # the word whole, the line end after it: each line of a text file stays its line
    assert read_document(path)[0].text == "Die Verwaltung\nentscheidet."


def test_a_markdown_footnote_goes_with_the_section_that_cites_it(tmp_path: Path) -> None:
    path = tmp_path / "satzung.md"
    path.write_text(
        "# Gebühren\n\nDie Gebühr beträgt 30 Euro.[^1]\n\n"
        "# Fristen\n\nDer Antrag ist vier Wochen vorher zu stellen.[^frist]\n\n"
        "# Inkrafttreten\n\nDie Satzung tritt am 1. Januar in Kraft.\n\n"
        "[^1]: Beschluss des Rates vom 3. März,\nTOP 7.\n\n"
        "    Geändert am 5. Mai.\n"
        "[^frist]: Siehe § 4 der Hauptsatzung.\n"
        "[^los]: Eine Fußnote, die niemand zitiert.\n",
        encoding="utf-8",
    )
    passages = {p.section: p.text.strip() for p in read_document(path)}
    assert passages["Gebühren"] == (
        "Die Gebühr beträgt 30 Euro.\n\n"
        "Beschluss des Rates vom 3. März,\nTOP 7.\n\nGeändert am 5. Mai."
    )
    assert passages["Fristen"] == (
        "Der Antrag ist vier Wochen vorher zu stellen.\n\nSiehe § 4 der Hauptsatzung."
    )
    assert passages["Inkrafttreten"] == (
        "Die Satzung tritt am 1. Januar in Kraft.\n\nEine Fußnote, die niemand zitiert."
    )


def test_markdown_is_read_as_its_reader_sees_it_not_as_its_syntax(tmp_path: Path) -> None:
    path = tmp_path / "kita.md"
    path.write_text(
        "Satzung über Elternbeiträge\n===========================\n\n"
        "## § 2 Höhe der **Beiträge**\n\n"
        "| Betreuungsumfang | Krippe | Kindergarten |\n|---|---|---|\n"
        "| bis 6 Stunden | 230 € | _150 €_ |\n| bis 9 Stunden | 290 € | 195 € |\n\n"
        "## § 3 Verpflegungsgeld\n\n"
        "Das Verpflegungsgeld beträgt **3,20 €** je Mittagessen[^1]. Es wird mit dem "
        "[Beitrag](https://example.org/beitrag) im `SEPA`-Verfahren eingezogen.\n\n"
        "1. Antrag stellen\n2. Bescheid abwarten\n\n"
        "[^1]: Für Familien mit *Bildungs- und Teilhabepaket* entfällt der Eigenanteil.\n",
        encoding="utf-8",
    )
    passages = read_document(path)
    assert [p.section for p in passages] == [
        "Satzung über Elternbeiträge › § 2 Höhe der Beiträge",
        "Satzung über Elternbeiträge › § 3 Verpflegungsgeld",
    ]
    assert passages[0].text == (
        "Betreuungsumfang | Krippe | Kindergarten\n"
        "bis 6 Stunden | 230 € | 150 €\n"
        "bis 9 Stunden | 290 € | 195 €"
    )
    assert passages[1].text == (
        "Das Verpflegungsgeld beträgt 3,20 € je Mittagessen. Es wird mit dem Beitrag im "
        "SEPA-Verfahren eingezogen.\n\n"
        "Für Familien mit Bildungs- und Teilhabepaket entfällt der Eigenanteil.\n\n"
        "1. Antrag stellen\n2. Bescheid abwarten"
    )


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_a_hash_line_in_a_markdown_code_block_is_code_not_a_heading(
    tmp_path: Path, fence: str
) -> None:
    path = tmp_path / "betrieb.md"
    path.write_text(
        "# Sicherung\n\nDie Sicherung läuft nachts:\n\n"
        f"{fence}bash\n# comment\n~~~ und ``` schließen diesen Block nicht\n"
        "backup --alle\n"
        f"{fence}\n\nDanach wird geprüft.\n\n"
        "# Wiederherstellung\n\nAuf Antrag.\n",
        encoding="utf-8",
    )
    passages = [(p.section, p.text.strip()) for p in read_document(path)]
    assert [section for section, _text in passages] == ["Sicherung", "Wiederherstellung"]
    assert passages[0][1] == (
        "Die Sicherung läuft nachts:\n\n# comment\n~~~ und ``` schließen diesen Block nicht\n"
        "backup --alle\n\nDanach wird geprüft."
    )
