"""A paper in Markdown, HTML, DOCX or ODT is read as the assistants read it
(`apps/rag/readers.py`): a Markdown paper saved by Windows' editor as UTF-16 or Windows-1252 is
the paper it shows, not letters between zero bytes (it was judged to hold a few dozen
different words), and a heading with nothing under it is one heading's words, counted once.
A PDF that cannot be read is said to be damaged or encrypted in the reader's language, not in
pypdf's English words."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.openness.paper import read_paper
from tests.apps.rag.documents import write_pdf

WORDS = " ".join(f"Größe{n} des Gesetzes über Gebühren" for n in range(100))  # 500 words
PAPER = f"# Land-Recht tiny\n\n## Daten\n\n{WORDS}\n\n## Ergebnisse\n\n## Ausblick\n"


def test_a_markdown_paper_in_utf16_or_windows_1252_reads_as_in_utf8(tmp_path: Path) -> None:
    notes = []
    for encoding in ("utf-8", "utf-16", "cp1252"):
        paper = tmp_path / f"paper-{encoding}.md"
        paper.write_bytes(PAPER.encode(encoding))
        read = read_paper(paper, paper.name)
        assert read.counts, (encoding, str(read.note))
        notes.append(str(read.note))
    assert notes == ["505 Wörter unter 4 Überschriften"] * 3


def test_a_heading_with_nothing_under_it_counts_its_words_once(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_heading("Land-Recht tiny", level=1)
    word.add_heading("Daten", level=2)
    word.add_paragraph(WORDS)
    word.add_heading("Offene Fragen der Auswertung", level=2)  # nothing under it
    word.save(str(tmp_path / "paper.docx"))
    read = read_paper(tmp_path / "paper.docx", "paper.docx")
    assert str(read.note) == "507 Wörter unter 3 Überschriften"


def test_a_pdf_that_cannot_be_read_is_said_so_in_the_readers_language(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4 abgeschnitten")
    assert str(read_paper(broken, "kaputt.pdf").note) == "beschädigt oder keine PDF-Datei"
    writer = PdfWriter(clone_from=PdfReader(write_pdf(tmp_path / "offen.pdf", [WORDS])))
    writer.encrypt(user_password="geheim", owner_password="geheim")
    locked = tmp_path / "verschlossen.pdf"
    writer.write(locked)
    read = read_paper(locked, "verschlossen.pdf")
    assert not read.counts
    assert str(read.note) == "ein verschlüsseltes PDF, dessen Text nicht gelesen werden kann"
