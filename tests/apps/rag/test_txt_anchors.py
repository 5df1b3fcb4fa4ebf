"""A source from a text file is named where it stands, as one from Markdown or a PDF is: a law
saved as .txt, with Markdown headings (`## § 1 …`) or plain lines (`§ 1 Anwendungsbereich`,
`Abschnitt 2 …`), has its sections; every chunk of a text file knows the lines it spans
(`Zeilen 120–164`), which tell two chunks of one § apart and name a chunk of a file without
any heading. The source viewer (`/source`) shows that section, or those lines, not the whole
law. Before, a Vermerk listed `[1] gesetze/IFG.txt` and `[2] gesetze/IFG.txt` with nothing
else, and `/source` returned the whole file. A collection ingested before (reader format 4)
still opens; its documents are read again at the next ingest (since format 6 every kind of
file, not only its text files). Real files, the CLI, a real server on loopback."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.apps.rag.answer import source_label
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection
from gemeingut.apps.rag.readers import read_document
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import CHUNKS, StoredChunk
from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.apps.rag.documents import write_markdown
from tests.serve.conftest import backend as backend  # a fixture
from tests.serve.conftest import serve as serve  # a fixture
from tests.test_cli import invoke

Serve = Callable[[FastAPI], AbstractContextManager[str]]

# A long § 7: its two chunks share the section, and only their lines tell them apart.
_REASONS = " ".join(
    f"Die Behörde prüft im {n}. Schritt, ob der Antrag hinreichend bestimmt ist und welche "
    f"Informationen der Antragsteller begehrt."
    for n in range(1, 13)
)
IFG = (
    "Gesetz zur Regelung des Zugangs zu Informationen des Bundes\n"
    "\n"
    "Abschnitt 1 Allgemeine Vorschriften\n"
    "\n"
    "§ 1 Grundsatz\n"
    "(1) Jeder hat nach Maßgabe dieses Gesetzes gegenüber den Behörden des Bundes einen\n"
    "Anspruch auf Zugang zu amtlichen Informationen. Für sonstige Bundesorgane gilt dieses\n"
    "Gesetz, soweit sie öffentlich-rechtliche Verwaltungsaufgaben wahrnehmen.\n"
    "(2) Die Behörde kann Auskunft erteilen, Akteneinsicht gewähren oder Informationen in\n"
    "sonstiger Weise zur Verfügung stellen; das Verfahren richtet sich nach\n"
    "§ 7 Antrag und Verfahren\n"
    "soweit nichts anderes bestimmt ist.\n"
    "§ 5 Abs. 2 gilt entsprechend.\n"
    "\n"
    "Abschnitt 2 Verfahren\n"
    "\n"
    "§ 7 Antrag und Verfahren\n"
    + "\n".join(textwrap.wrap(_REASONS, 88))
    + "\n(5) Die Information ist dem Antragsteller unter Berücksichtigung seiner Belange\n"
    "unverzüglich zugänglich zu machen. Der Informationszugang soll innerhalb eines Monats\n"
    "erfolgen; diese Frist gilt auch für den Zugang nach § 1.\n"
)
UIG = (
    "# Umweltinformationsgesetz\n"
    "\n"
    "## § 3 Anspruch auf Zugang zu Umweltinformationen\n"
    "\n"
    "Jede Person hat Anspruch auf freien Zugang zu Umweltinformationen.\n"
    "\n"
    "## § 4 Antrag\n"
    "\n"
    "Umweltinformationen werden auf Antrag zugänglich gemacht; die Frist beträgt einen Monat.\n"
)
VERMERK = "\n".join(  # no heading at all: three paragraphs, several chunks
    f"Im Gespräch am {n}. März erläuterte das Referat die Fristen der Bearbeitung von "
    f"Anträgen auf Informationszugang, die Gebühren und den Umgang mit Daten Dritter. " * 3 + "\n"
    for n in range(1, 5)
)


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    """gesetze/IFG.txt (plain law headings), gesetze/UIG.txt (Markdown headings), and
    notizen/vermerk.txt (none)."""
    laws, notes = tmp_path / "gesetze", tmp_path / "notizen"
    laws.mkdir()
    notes.mkdir()
    (laws / "IFG.txt").write_text(IFG, encoding="utf-8")
    (laws / "UIG.txt").write_text(UIG, encoding="utf-8")
    (notes / "vermerk.txt").write_text(VERMERK, encoding="utf-8")
    return tmp_path


def test_headings_of_a_law_as_text_are_its_sections_and_references_are_not(texts: Path) -> None:
    ifg = read_document(texts / "gesetze" / "IFG.txt")
    assert [p.section for p in ifg] == [
        None,  # the title: no heading of a law
        "Abschnitt 1 Allgemeine Vorschriften › § 1 Grundsatz",
        "Abschnitt 2 Verfahren › § 7 Antrag und Verfahren",
    ]
    first = ifg[1].text
    # a line that goes on with the sentence before, and one that ends a sentence: text
    assert "nach\n§ 7 Antrag und Verfahren\nsoweit" in first and "§ 5 Abs. 2 gilt" in first
    uig = read_document(texts / "gesetze" / "UIG.txt")
    assert [p.section for p in uig] == [
        "Umweltinformationsgesetz › § 3 Anspruch auf Zugang zu Umweltinformationen",
        "Umweltinformationsgesetz › § 4 Antrag",
    ]


@pytest.mark.parametrize(
    ("line", "previous", "heading"),
    [
        ("Art 3 Gleichheit vor dem Gesetz", "", "Art 3 Gleichheit vor dem Gesetz"),  # as GII
        ("Zweiter Abschnitt - Verfahren", "", "Zweiter Abschnitt - Verfahren"),
        ("§ 27 (Inkrafttreten)", "(3) Die Behörde entscheidet.", "§ 27 (Inkrafttreten)"),
        ("§ 12a", "", "§ 12a"),
        ("Anlage (zu § 3)", "", "Anlage (zu § 3)"),
        ("§ 5 BGB bleibt unberührt", "", None),  # names a law
        ("§ 5 Satz 1 gilt", "", None),  # a place in it
        ("§ 8 Verfahren", "das Verfahren richtet sich nach", None),  # the sentence goes on
        ("Art. 3 Abs. 1 GG verletzt.", "", None),
    ],
)
def test_a_line_is_a_heading_where_a_law_would_print_one(
    line: str, previous: str, heading: str | None
) -> None:
    from gemeingut.apps.rag.text_headings import text_heading

    found = text_heading(line, previous)
    assert (found[1] if found else None) == heading


def _file_lines(texts: Path, chunk: StoredChunk) -> list[str]:
    return (texts / chunk.document).read_text(encoding="utf-8").split("\n")


def test_every_chunk_of_a_text_file_knows_its_lines_and_its_label_tells_them_apart(
    texts: Path,
) -> None:
    root = texts / "c"
    ingest(root, "recht", [texts / "gesetze", texts / "notizen"])
    chunks = open_collection(root, "recht").chunks
    for chunk in chunks:  # the lines are where the chunk's words stand in the file
        assert chunk.lines is not None, chunk
        first, last = chunk.lines
        said = chunk.text.split("\n")
        assert last - first + 1 == len(said)
        lines = _file_lines(texts, chunk)
        assert lines[first - 1].endswith(said[0]) and lines[last - 1].startswith(said[-1])
    labels = [source_label(c) for c in chunks]
    assert len(set(labels)) == len(labels)  # no two sources named alike
    long = [c for c in chunks if c.section and c.section.endswith("§ 7 Antrag und Verfahren")]
    assert len(long) >= 2
    first, last = long[0].lines
    assert source_label(long[0]) == (
        "gesetze/IFG.txt, „Abschnitt 2 Verfahren › § 7 Antrag und Verfahren“, "
        f"Zeilen {first}–{last}"
    )
    plain = [c for c in chunks if c.document == "notizen/vermerk.txt"]
    assert len(plain) >= 2 and {c.section for c in plain} == {None}
    first, last = plain[1].lines
    assert source_label(plain[1], "en") == f"notizen/vermerk.txt, lines {first}–{last}"


def test_rag_query_names_the_section_and_the_lines(texts: Path) -> None:
    root = texts / "c"
    ingest(root, "recht", [texts / "gesetze"])
    question = "Frist Informationszugang Monat"
    shown = invoke("rag", "query", "recht", question, "--root", root, "-k", "3")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(invoke("rag", "query", "recht", question, "--root", root, "--json").stdout)
    collection = open_collection(root, "recht")
    for row in rows[:3]:
        chunk = next(c for c in collection.chunks if c.id == row["id"])
        assert row["lines"] == list(chunk.lines) and row["section"] == chunk.section
        assert source_label(chunk) in " ".join(shown.output.split())


def test_the_source_viewer_shows_the_section_or_the_lines_not_the_whole_law(
    texts: Path, backend: TransformersBackend, serve: Serve
) -> None:
    root = texts / "c"
    ingest(root, "recht", [texts / "gesetze", texts / "notizen"])
    collection = open_collection(root, "recht")
    plain = [c for c in collection.chunks if c.document == "notizen/vermerk.txt"][1]
    section = "Abschnitt 1 Allgemeine Vorschriften › § 1 Grundsatz"
    with serve(create_app(backend, collections=root)) as url:

        def source(**asked: str) -> httpx.Response:
            route = f"{url}/v1/collections/recht/source"
            return httpx.get(route, params=asked, timeout=30)

        hits = httpx.post(
            f"{url}/v1/collections/recht/search",
            json={"query": "Anspruch amtlichen Informationen", "mode": "bm25"},
            timeout=30,
        ).json()["data"]
        best = hits[0]
        assert (best["document"], best["section"]) == ("gesetze/IFG.txt", section)
        shown = source(document="gesetze/IFG.txt", section=section).json()
        assert shown["text"].startswith("(1) Jeder hat nach Maßgabe")
        assert shown["text"].endswith("§ 5 Abs. 2 gilt entsprechend.")  # not § 7 after it
        assert "Die Behörde prüft" not in shown["text"] and "(5)" not in shown["text"]
        first, last = best["lines"]
        lined = source(document="gesetze/IFG.txt", lines=f"{first}-{last}").json()
        assert lined["lines"] == [first, last]
        assert lined["text"] == "\n".join(IFG.split("\n")[first - 1 : last])
        first, last = plain.lines
        lined = source(document="notizen/vermerk.txt", lines=f"{first}–{last}").json()
        assert plain.text in lined["text"]
        assert lined["text"].count("\n") == last - first  # those lines, not the whole file
        beyond = source(document="notizen/vermerk.txt", lines="900-910")
        assert beyond.status_code == 404, beyond.text
        wrong = source(document="notizen/vermerk.txt", lines="zehn")
        assert wrong.status_code == 400 and "z. B. 120-164" in wrong.json()["error"]["message"]


def as_read_by_format_4(folder: Path) -> None:
    """Rewrite the collection in `folder` as gemeingut stored it at reader format 4: every
    document of that format, a text file one passage without section, chunks without lines."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.loads((folder / COLLECTION_FILE).read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        record["reader"] = 4
    (folder / COLLECTION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    chunks = folder / meta["index"] / CHUNKS
    table = pq.read_table(chunks).drop_columns(["first_line", "last_line"]).to_pydict()
    table["section"] = [
        None if key.endswith(".txt") else section
        for key, section in zip(table["document"], table["section"], strict=True)
    ]
    pq.write_table(pa.table(table), chunks)


def test_a_collection_of_reader_format_4_loads_and_is_read_again(
    texts: Path,
) -> None:
    root = texts / "c"
    write_markdown(texts / "leitfaden.md")
    ingest(root, "recht", [texts / "gesetze", texts / "leitfaden.md"])
    as_read_by_format_4(root / "recht")
    old = open_collection(root, "recht")  # it loads: its chunks, without lines
    assert {c.lines for c in old.chunks} == {None}
    # every kind of file since format 6 (control characters), text files since format 5
    assert old.outdated == ["gesetze/IFG.txt", "gesetze/UIG.txt", "leitfaden.md"]
    with pytest.raises(InputError, match="muss neu aufgenommen werden"):
        search(old, "Frist Informationszugang", mode="bm25")
    listed = invoke("rag", "list", "--root", root)
    assert listed.exit_code == 0 and "recht: Dokumente 3" in listed.output, listed.output

    report = ingest(root, "recht", [texts / "leitfaden.md"])
    assert report.reread == ["gesetze/IFG.txt", "gesetze/UIG.txt", "leitfaden.md"]
    assert report.unchanged == []
    again = open_collection(root, "recht")
    assert again.outdated == []
    ifg = [c for c in again.chunks if c.document == "gesetze/IFG.txt"]
    assert all(c.lines is not None for c in ifg)
    assert any(c.section and c.section.endswith("§ 1 Grundsatz") for c in ifg)
    markdown = [c for c in again.chunks if c.document == "leitfaden.md"]
    assert markdown and {c.lines for c in markdown} == {None}
