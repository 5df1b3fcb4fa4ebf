"""A PDF's page is cut at its numbered heading lines („2. Angebotsfristen“, „§ 4 Vergabe“,
„IV. Zuschlag“, „Anlage 2“), each passage under the heading last above it, on its page or one
before: a chunk of a PDF names its section as one of a DOCX does, and its page stays the page
its words stand on. A numbered line holding a sentence, a line without a number and a page's
running header or footer are no section. Before, every PDF passage had no section."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.cite import check_citations
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.readers import read_document
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.sentences import holds_sentence, is_heading, runs_on
from tests.apps.rag.documents import write_pdf

HEADER = "Stadt Musterhausen · Vergabestelle"
TENDER = [
    f"{HEADER}\nVergabeunterlagen Schulmöbel\n1. Gegenstand\n"
    "Die Stadt beschafft Tische und Stühle für die Grundschule.\n2. Angebotsfristen\n"
    "Angebote sind bis zum 3. Mai 2027 einzureichen.\n3. Eignung\n"
    "Der Bieter weist seine Fachkunde nach.\nSeite 1 von 3",
    f"{HEADER}\nNachforderungen bleiben vorbehalten.\n§ 4 Vergabe\nEs gilt die UVgO.\n"
    "IV. Zuschlag\nDer Zuschlag geht an das wirtschaftlichste Angebot.\n"
    "5. Geliefert werden alle Möbel bis\nEnde Juli an die Schule.\nAnlage 2\nSeite 2 von 3",
    f"{HEADER}\nPreisblatt mit allen Positionen.\nSeite 3 von 3",
]


def write_tender(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_pdf(path, TENDER)


def first_line(text: str) -> str:
    """A passage's first line below the page's header."""
    return text.removeprefix(HEADER).lstrip("\n").split("\n")[0]


def test_a_pdf_s_pages_are_cut_at_their_headings_each_carried_to_the_next(
    tmp_path: Path,
) -> None:
    passages = read_document(write_tender(tmp_path / "vergabe.pdf"))
    assert [(p.page, p.section, first_line(p.text)) for p in passages] == [
        (1, None, "Vergabeunterlagen Schulmöbel"),
        (1, "1. Gegenstand", "1. Gegenstand"),
        (1, "2. Angebotsfristen", "2. Angebotsfristen"),
        (1, "3. Eignung", "3. Eignung"),
        (2, "3. Eignung", "Nachforderungen bleiben vorbehalten."),  # carried to the next page
        (2, "§ 4 Vergabe", "§ 4 Vergabe"),
        (2, "IV. Zuschlag", "IV. Zuschlag"),  # with the numbered line that holds a sentence
        (2, "Anlage 2", "Anlage 2"),  # the last line of its page: its text on the next
        (3, "Anlage 2", "Preisblatt mit allen Positionen."),
    ]
    assert "5. Geliefert werden alle Möbel bis\nEnde Juli an die Schule." in passages[6].text
    # every line is read, once, on its page: the heading lines, the header and the footer
    for page, text in enumerate(TENDER, 1):
        assert "\n".join(p.text for p in passages if p.page == page) == text


def test_a_chunk_of_a_pdf_names_its_section_and_a_citation_of_its_page_holds(
    tmp_path: Path,
) -> None:
    write_tender(tmp_path / "akten" / "vergabe.pdf")
    root = tmp_path / "c"
    ingest(root, "vergabe", [tmp_path / "akten"])
    collection = open_collection(root, "vergabe")
    [hit] = search(collection, "Preisblatt Positionen", mode="bm25", k=1)
    chunk = collection.chunks[hit.row]
    assert (chunk.page, chunk.section) == (3, "Anlage 2")
    answer = "Die Preise stehen im „Preisblatt mit allen Positionen“ [1, S. 3]."
    assert check_citations(answer, [chunk]).supported
    wrong = check_citations(answer.replace("S. 3", "S. 2"), [chunk])
    assert not wrong.supported and wrong.citations[0].problem is not None


def test_a_line_that_runs_on_holds_a_sentence() -> None:
    """One test of a wrapped line for headings and a PDF's gaps and title: a line ending in a
    dash or in a word that needs the next one, also in brackets, is no heading."""
    for line in ("3. Los 2 –", "Lieferung der Geräte und", "Frist (siehe oben, für die)"):
        assert runs_on(line)
        assert holds_sentence(line)
        assert not is_heading(line, "", "Die Stadt beschafft Geräte.")
