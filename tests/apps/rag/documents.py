"""Documents in each format the collections read, written here with the formats' own libraries
(fpdf2, python-docx, odfpy), with known pages and headings."""

from __future__ import annotations

from pathlib import Path

PAGES = [
    "Die Vergabestelle nennt alle Zuschlagskriterien und ihre Gewichtung in der Bekanntmachung.",
    "Die Frist für den Eingang der Angebote beträgt mindestens dreißig Tage.",
    "Barrierefreiheit ist bei der Leistungsbeschreibung zu berücksichtigen.",
]


def chunked(path: Path) -> list[tuple[str | None, str]]:
    """(section, text) of each chunk `gemeingut rag` makes of the file at `path`."""
    from gemeingut.apps.rag.chunking import chunk_passages
    from gemeingut.apps.rag.readers import read_document

    return [(c.section, c.text) for c in chunk_passages(read_document(path))]


def write_texts(folder: Path, texts: dict[str, str]) -> Path:
    """`folder`, made, with a UTF-8 text file of each name in `texts` (name -> text)."""
    folder.mkdir(parents=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_pdf(path: Path, pages: list[str] = PAGES) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Zuschlag", level=1)
    document.add_paragraph(PAGES[0])
    document.add_heading("Fristen", level=2)
    document.add_paragraph(PAGES[1])
    document.save(str(path))
    return path


def write_odt(path: Path) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Zuschlag"))
    document.text.addElement(P(text=PAGES[0]))
    document.text.addElement(H(outlinelevel=1, text="Barrierefreiheit"))
    document.text.addElement(P(text=PAGES[2]))
    document.save(str(path))
    return path


def write_html(path: Path) -> Path:
    path.write_text(
        "<html><head><title>T</title><script>var x = 1;</script></head><body>"
        "<nav>Menü</nav><h1>Zuschlag</h1><p>" + PAGES[0] + "</p>"
        "<h2>Fristen</h2><ul><li>" + PAGES[1] + "</li></ul></body></html>",
        encoding="utf-8",
    )
    return path


def write_markdown(path: Path) -> Path:
    path.write_text(
        f"# Leitfaden\n\n## Zuschlag\n\n{PAGES[0]}\n\n## Fristen\n\n{PAGES[1]}\n",
        encoding="utf-8",
    )
    return path


def write_scanned_pdf(path: Path, pages: list[str] = PAGES) -> Path:
    """The pages as a scanner gives them: images at 300 dpi, no text layer."""
    import pypdfium2 as pdfium

    text = write_pdf(path.with_suffix(".text.pdf"), pages)
    document = pdfium.PdfDocument(str(text))
    images = [document[i].render(scale=300 / 72).to_pil().convert("L") for i in range(len(pages))]
    document.close()
    images[0].save(path, save_all=True, append_images=images[1:], resolution=300)
    text.unlink()
    return path


LABELLED = [
    "Vorwort der Bürgermeisterin zur neuen Satzung.",
    "Inhaltsverzeichnis mit allen Paragraphen.",
    "Die Hundesteuer beträgt für den ersten Hund 96 Euro im Jahr.",
    "Für jeden weiteren Hund beträgt die Steuer 120 Euro im Jahr.",
]


def write_labelled_pdf(path: Path, pages: list[str] = LABELLED) -> Path:
    """A PDF whose sheets are printed as i, ii, 1, 2 (page labels, written with pypdf): the
    front matter in roman numerals, the text from page 1 on the third sheet."""
    from pypdf import PdfWriter

    plain = write_pdf(path.with_suffix(".plain.pdf"), pages)
    writer = PdfWriter(clone_from=plain)
    writer.set_page_label(0, 1, "/r")
    writer.set_page_label(2, len(pages) - 1, "/D", start=1)
    writer.write(path)
    plain.unlink()
    return path


def write_hundesteuer_odt(path: Path) -> Path:
    """A statute as ODT: the title as heading 1, its paragraphs as headings 2."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Satzung über die Hundesteuer"))
    document.text.addElement(H(outlinelevel=2, text="§ 1 Steuergegenstand"))
    document.text.addElement(P(text="Besteuert wird das Halten von Hunden im Stadtgebiet."))
    document.text.addElement(H(outlinelevel=2, text="§ 2 Steuersatz"))
    document.text.addElement(P(text="Die Steuer beträgt für den ersten Hund 96 Euro im Jahr."))
    document.save(str(path))
    return path


def write_parken_markdown(path: Path) -> Path:
    path.write_text(
        "# Parkraumbewirtschaftung\n\n## Bewohnerparken\n\n"
        "Ein Ausweis kostet 30 Euro im Jahr.\n\n### Antrag\n\n"
        "Der Antrag wird online gestellt.\n\n## Zonen\n\n"
        "Die Innenstadt ist in vier Zonen geteilt.\n",
        encoding="utf-8",
    )
    return path


def write_buergeramt_html(path: Path) -> Path:
    path.write_text(
        "<html><head><title>Stadt Musterstadt</title></head><body>"
        "<h1>Sprechzeiten des Bürgeramts</h1><h2>Montag bis Mittwoch</h2>"
        "<p>Geöffnet von 8 bis 16 Uhr.</p><h2>Donnerstag</h2>"
        "<p>Geöffnet von 10 bis 18 Uhr.</p></body></html>",
        encoding="utf-8",
    )
    return path
