"""What a collection takes once as "the same text" is what a search finds: the words of the
chunks under their sections' headings. Two laws of the federal corpus (nsahndgg_he, nsunrg_he)
whose one paragraph is the same ("Ausfertigungsdatum … Fundstelle …") under different titles
are two documents, each found by its title; the same title and words in another layout are
one document, taken once."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.index import ingest

BODY = "Ausfertigungsdatum\n:   1946-05-29\n\nFundstelle\n:   GVBl HE: 1946, 136\n"


def test_the_same_paragraph_under_another_title_is_another_document(tmp_path: Path) -> None:
    laws = tmp_path / "gesetze"
    laws.mkdir()
    (laws / "nsahndgg_he.md").write_text(
        "# Gesetz zur Ahndung nationalsozialistischer Straftaten (NSAhndgG HE)\n\n" + BODY
    )
    (laws / "nsunrg_he.md").write_text(
        "# Gesetz zur Wiedergutmachung nationalsozialistischen Unrechts in der "
        "Strafrechtspflege (NSUnrG HE)\n\n" + BODY
    )
    report = ingest(tmp_path / "c", "gesetze", [laws])
    assert sorted(report.added) == ["gesetze/nsahndgg_he.md", "gesetze/nsunrg_he.md"]
    assert report.skipped == {}


def test_the_same_title_and_words_in_another_layout_are_taken_once(tmp_path: Path) -> None:
    first, second = tmp_path / "Gesetz.md", tmp_path / "Gesetz-Kopie.md"
    first.write_text("# Gesetz zur Ahndung (NSAhndgG HE)\n\n" + BODY)
    second.write_text("# Gesetz  zur Ahndung (NSAhndgG HE)\n\n\n" + BODY.replace(" ", "  "))
    ingest(tmp_path / "c", "gesetze", [first])
    report = ingest(tmp_path / "c", "gesetze", [second])
    assert report.added == []
    [why] = report.skipped.values()
    assert "Gesetz.md" in why, why
