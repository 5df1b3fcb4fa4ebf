"""Documents in each format the collections read, written here with the formats' own libraries
(fpdf2, python-docx, odfpy), with known pages and headings."""

from __future__ import annotations

from pathlib import Path

PAGES = [
    "Die Vergabestelle nennt alle Zuschlagskriterien und ihre Gewichtung in der Bekanntmachung.",
    "Die Frist für den Eingang der Angebote beträgt mindestens dreißig Tage.",
    "Barrierefreiheit ist bei der Leistungsbeschreibung zu berücksichtigen.",
]


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
