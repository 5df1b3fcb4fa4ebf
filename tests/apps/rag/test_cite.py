"""Citation checks: a missing id, a wrong page and a passage not in the chunk are each named;
an answer that cites nothing has no evidence."""

from dataclasses import dataclass

import pytest

from gemeingut.apps.rag.cite import check_citations


@dataclass
class Src:
    text: str
    page: int | None = None


SOURCES = [
    Src("Die Vergabestelle nennt alle Zuschlagskriterien und ihre Gewichtung.", page=3),
    Src("Amtliche Werke genießen keinen urheberrechtlichen Schutz."),
]


def test_a_correct_answer_with_quote_and_page_is_supported() -> None:
    answer = (
        "Die Kriterien müssen bekannt sein: „nennt alle Zuschlagskriterien und ihre "
        "Gewichtung“ [1, S. 3]. Gesetze sind frei [2]."
    )
    verdict = check_citations(answer, SOURCES)
    assert verdict.supported and verdict.problems == []
    assert [(c.source, c.page) for c in verdict.citations] == [(1, 3), (2, None)]
    assert verdict.citations[0].quote == "nennt alle Zuschlagskriterien und ihre Gewichtung"


def test_a_missing_id_is_named() -> None:
    verdict = check_citations("Das steht so im Gesetz [7].", SOURCES)
    assert not verdict.supported
    assert verdict.citations[0].problem == "unknown_source"
    assert verdict.problems == ["[7] nennt keine Quelle (es gibt 2)."]


def test_a_wrong_page_is_named_and_a_page_for_an_unpaged_source_too() -> None:
    verdict = check_citations("Siehe [1, S. 4] und [2, p. 1].", SOURCES)
    assert [c.problem for c in verdict.citations] == ["wrong_page", "no_pages"]
    assert "Seite 4" in verdict.problems[0] and "Seite 3" in verdict.problems[0]


def test_a_quote_that_is_not_in_the_chunk_is_named_in_english_too() -> None:
    answer = 'The law says "Werke sind immer geschützt" [2].'
    verdict = check_citations(answer, SOURCES, language="en")
    assert verdict.citations[0].problem == "quote_not_in_source"
    assert verdict.problems == ["[2]: “Werke sind immer geschützt” is not in that source."]


@pytest.mark.parametrize("marks", ["„“", "»«", "«»", "‚‘", "›‹", "“”", '""'])
def test_a_quote_in_any_quotation_marks_is_checked(marks: str) -> None:
    opening, closing = marks
    wrong = f"Die Vergabestelle {opening}nennt keine Kriterien{closing} [1, S. 3]."
    assert check_citations(wrong, SOURCES).citations[0].problem == "quote_not_in_source"
    right = f"Die Vergabestelle {opening}nennt alle Zuschlagskriterien{closing} [1, S. 3]."
    assert check_citations(right, SOURCES).supported


def test_quotes_are_compared_without_case_quote_marks_or_line_breaks() -> None:
    answer = "„AMTLICHE Werke genießen\nkeinen urheber-\nrechtlichen Schutz“ [2]"
    assert check_citations(answer, SOURCES).supported


def test_several_ids_in_one_marker_are_each_checked() -> None:
    verdict = check_citations("Beides gilt [1, 2, 5].", SOURCES)
    assert [c.source for c in verdict.citations] == [1, 2, 5]
    assert [c.problem for c in verdict.citations] == [None, None, "unknown_source"]


def test_an_answer_without_a_citation_has_no_evidence() -> None:
    verdict = check_citations("Die Frist beträgt sicher vierzehn Tage.", SOURCES)
    assert not verdict.supported and verdict.citations == []
    assert verdict.problems == ["Die Antwort belegt nichts mit den Quellen."]
