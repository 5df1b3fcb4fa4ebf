"""A PDF's first heading below a title of two lines is a section ("1. Verfahren" under
"Ausschreibung: Mittagsverpflegung an sieben Grundschulen" / "der Stadt Musterstadt" was
lost: the line above it had no full stop), while a numbered line below a wrapped sentence
stays none. A running header or footer is a line at the same edge of most pages, short or
numbered; a body line that ends two pages of a long document, or every page while its sentence
began on the line above, is the document's words: taken for a footer, it was left out and the
headings below it were lost with every section of the file."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.pdf_sections import pdf_passages
from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.documents import write_pdf

BODY = "Die Vergabe ist in Textform zu dokumentieren."


def _sections(path: Path, pages: list[str]) -> list[tuple[int | None, str | None, str]]:
    passages = read_document(write_pdf(path, pages))
    return [(p.page, p.section, p.text.split("\n")[0]) for p in passages]


def _headings(path: Path, pages: list[str]) -> list[str]:
    """The sections of a PDF's passages, each once, in order."""
    passages = read_document(write_pdf(path, pages))
    return list(dict.fromkeys(p.section for p in passages if p.section))


def test_a_title_of_two_lines_keeps_the_heading_below_it(tmp_path: Path) -> None:
    for title in (
        "Ausschreibung: Mittagsverpflegung an sieben Grundschulen\nder Stadt Musterstadt",
        "Ausschreibung: Grundhafte Erneuerung der Bahnhofstraße in\nMusterstadt",
    ):
        pages = [f"{title}\n1. Verfahren\n{BODY}\n2. Fristen\n{BODY}"]
        assert _sections(tmp_path / "t.pdf", pages) == [
            (1, None, title.split("\n")[0]),
            (1, "1. Verfahren", "1. Verfahren"),
            (1, "2. Fristen", "2. Fristen"),
        ]


def test_a_numbered_line_below_a_wrapped_sentence_is_no_heading(tmp_path: Path) -> None:
    wrapped = (
        "Die Stadt beschafft Tische, Stühle und Schränke für alle Räume ihrer Grundschulen im\n"
        "Rathaus Musterstadt\n2. Obergeschoss, Raum 214, liefert der Bieter bis Mai."
    )
    on_page_two = f"1. Gegenstand\n{BODY}\nDie Möbel gehen an das\nRathaus Musterstadt\n"
    for pages in ([f"{wrapped}\n1. Fristen\n{BODY}"], [on_page_two, f"{wrapped}"]):
        sections = {section for _, section, _ in _sections(tmp_path / "w.pdf", pages)}
        assert "2. Obergeschoss, Raum 214, liefert der Bieter bis Mai." not in sections
    assert _sections(tmp_path / "w.pdf", [f"{wrapped}\n1. Fristen\n{BODY}"])[0][1] is None


def _long_document() -> list[str]:
    """Seven pages, each under a header and over a footer; the body line "Wirtschaftlichkeit
    und Sparsamkeit." ends pages 2 and 5, its sentence begun on the line above."""
    pages = []
    for number in range(1, 8):
        body = f"{number}. Teil {number}\nDer Teil {number} gilt für alle Ämter."
        if number in (2, 5):
            body += (
                "\nBei jeder Vergabe wahren alle Ämter der Stadt Musterstadt streng"
                "\nWirtschaftlichkeit und Sparsamkeit."
            )
        pages.append(f"Leitfaden Vergabe\n{body}\nStand 03/2027")
    return pages


def test_a_body_line_at_the_end_of_two_pages_is_no_footer(tmp_path: Path) -> None:
    sections = _headings(tmp_path / "l.pdf", _long_document())
    assert sections == [f"{n}. Teil {n}" for n in range(1, 8)]  # 3. and 6. were lost


def test_a_running_header_and_numbered_footer_are_no_sections(tmp_path: Path) -> None:
    header = "1. Leitfaden Vergabe"  # numbered like a heading, yet on every page's top
    pages = [f"{header}\n{n}. Teil\nDer Teil {n} gilt.\nSeite {n} von 4" for n in (2, 3, 4)]
    assert _headings(tmp_path / "h.pdf", pages) == ["2. Teil", "3. Teil", "4. Teil"]


def test_a_wrapped_sentence_ending_every_page_is_the_body_s(tmp_path: Path) -> None:
    tail = "Transparenz und der Gleichbehandlung aller Bieter."
    pages = [
        f"{n}. Teil\nDer Teil {n} gilt.\n"
        f"Die Ämter beachten in Teil {n} die Grundsätze der Wirtschaftlichkeit, der\n{tail}"
        for n in (1, 2, 3)
    ]
    assert _headings(tmp_path / "b.pdf", pages) == ["1. Teil", "2. Teil", "3. Teil"]


def test_a_title_above_a_blank_line_keeps_the_heading_below_it() -> None:
    page = "Leistungsverzeichnis Reinigung\nder Stadt Musterstadt\n\n1. Büros\n{0}\n2. Flure\n{0}"
    wrapped = "Die Reinigung umfasst die Büros\nim Rathaus Musterstadt\n1. Etage, Raum 2 bis 9"
    passages = list(pdf_passages([(1, "Vorbemerkung"), (2, page.format(BODY)), (3, wrapped)]))
    assert [p.section for p in passages] == [None, None, "1. Büros", "2. Flure", "2. Flure"]
