"""A source's label reads as German: it puts no "Abschnitt" before a section's headings, which
read `Abschnitt „Abschnitt 2 Verfahren › § 7 …“` and called a § what a law calls a larger
part, nor before those that name no kind (`„Einleitung“`), so that all read alike. A collection's
chunks are „Textabschnitte“ in every German text, so that they are not taken for a law's
sections, and the sections of a memo or speech stay „Abschnitte“. Real files and the CLI."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from gemeingut.apps.web.texts import TEXTS
from gemeingut.i18n import CATALOGUE
from tests.test_cli import invoke

LAW = (
    "# Satzung über die Benutzung der Stadtbücherei\n"
    "\n"
    "Abschnitt 1 Allgemeines\n"
    "\n"
    "§ 1 Zweck\n"
    "Die Stadtbücherei dient der Bildung und der Unterhaltung aller Einwohner.\n"
    "\n"
    "Zweiter Teil Ausleihe\n"
    "\n"
    "Art. 4 Leihfrist\n"
    "Die Leihfrist für Bücher beträgt vier Wochen.\n"
)
HANDBOOK = "# Handbuch der Bücherei\n\n## Einleitung\n\nDie Bücherei öffnet um neun Uhr.\n"


def test_a_heading_that_names_its_kind_is_not_called_a_section_again(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "buecherei.txt").write_text(LAW, encoding="utf-8")
    (docs / "handbuch.md").write_text(HANDBOOK, encoding="utf-8")
    root = tmp_path / "c"
    taken = invoke("rag", "ingest", "satzungen", docs, "--root", root)
    assert taken.exit_code == 0, taken.output
    assert "Textabschnitte insgesamt: 3" in taken.output
    said = {}
    for question in ("Zweck Bildung", "Leihfrist Wochen", "neun Uhr"):
        shown = invoke("rag", "query", "satzungen", question, "--root", root, "-k", "1")
        assert shown.exit_code == 0, shown.output
        said[question] = " ".join(shown.output.split())
    zweck = "docs/buecherei.txt, „Satzung über die Benutzung der Stadtbücherei › Abschnitt 1 "
    assert zweck + "Allgemeines › § 1 Zweck“, Zeile 6" in said["Zweck Bildung"]
    leihfrist = "„Satzung über die Benutzung der Stadtbücherei › Zweiter Teil Ausleihe › Art. 4 "
    assert leihfrist + "Leihfrist“, Zeile 11" in said["Leihfrist Wochen"], said
    assert "docs/handbuch.md, „Handbuch der Bücherei › Einleitung“" in said["neun Uhr"]
    assert all("Abschnitt „" not in s for s in said.values())


def test_chunks_are_textabschnitte_and_a_drafts_sections_abschnitte() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    german = {
        m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else ""
        for m in catalogue
        if m.id
    }
    chunks = {msgid: de for msgid, de in german.items() if "chunk" in msgid.casefold()}
    said_abschnitt = {msgid: de for msgid, de in chunks.items() if "bschnitt" in de}
    assert len(said_abschnitt) >= 5  # the ingest's summary, the query's help …
    assert {m: d for m, d in said_abschnitt.items() if "Textabschnitt" not in d} == {}
    assert all("bschnitt" not in d.replace("Textabschnitt", "") for d in chunks.values())
    memo = german[TEXTS["draft_result"].msgid]  # the page's line under a draft
    assert memo.startswith("{sections} Abschnitte,")
