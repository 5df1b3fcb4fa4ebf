"""Citation checks: a missing id, a wrong page and a passage not in the chunk are each named;
a citation without a quote is not counted as checked; an answer that cites nothing has no
evidence."""

import time
from dataclasses import dataclass

import pytest

from gemeingut.apps.rag.cite import check_citations
from gemeingut.i18n import translations


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
        "Gewichtung“ [1, S. 3]. Gesetze sind frei: „Amtliche Werke genießen keinen "
        "urheberrechtlichen Schutz“ [2]."
    )
    verdict = check_citations(answer, SOURCES)
    assert verdict.supported and verdict.problems == [] and verdict.status == "supported"
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
    verdict = check_citations("Beides gilt: „Amtliche Werke genießen“ [1, 2, 5].", SOURCES)
    assert [c.source for c in verdict.citations] == [1, 2, 5]
    assert [c.problem for c in verdict.citations] == ["quote_not_in_source", None, "unknown_source"]


def test_an_answer_without_a_citation_has_no_evidence() -> None:
    verdict = check_citations("Die Frist beträgt sicher vierzehn Tage.", SOURCES)
    assert not verdict.supported and verdict.citations == []
    assert verdict.problems == ["Die Antwort belegt nichts mit den Quellen."]


OBERBUERGERMEISTERIN = [
    Src("Ausnahmen genehmigt die Oberbürgermeisterin schriftlich.", page=2),
    Src("Der Antrag ist beim Ordnungsamt zu stellen.", page=3),
]


@pytest.mark.parametrize(
    "answer",
    [
        "„Ausnahmen genehmigt der Landrat“ ([1])",
        "„Ausnahmen genehmigt der Landrat“ – [1]",
        "„Ausnahmen genehmigt der Landrat“ - [1]",
        "„Ausnahmen genehmigt der Landrat“: [1]",
        "„Ausnahmen genehmigt der Landrat“ (vgl. [1, S. 2])",
        "'Ausnahmen genehmigt der Landrat' [1]",
        "Es heißt: 'Ausnahmen genehmigt der Landrat', siehe [1].",
        "„Ausnahmen genehmigt der Landrat“ [2][1]",
    ],
)
def test_a_quote_is_linked_to_its_marker_across_brackets_dashes_and_colons(answer: str) -> None:
    verdict = check_citations(answer, OBERBUERGERMEISTERIN)
    assert not verdict.supported and verdict.status == "unsupported"
    wrong = [c for c in verdict.citations if c.source == 1]
    assert wrong[0].quote == "Ausnahmen genehmigt der Landrat"
    assert wrong[0].problem == "quote_not_in_source"
    right = answer.replace("der Landrat", "die Oberbürgermeisterin").replace("[2]", "")
    assert check_citations(right, OBERBUERGERMEISTERIN).supported, right


def test_an_apostrophe_starts_no_quote_but_one_inside_a_quote_is_kept() -> None:
    bare = check_citations("Das geht's nicht, sagt Hans' Amt [1].", OBERBUERGERMEISTERIN)
    assert bare.citations[0].quote is None and bare.citations[0].problem == "not_quoted"
    inside = check_citations("'Das geht's nicht' [1]", OBERBUERGERMEISTERIN)
    assert inside.citations[0].quote == "Das geht's nicht"


@pytest.mark.parametrize(
    ("marker", "cited"),
    [
        ("[1, S. 7-8]", "Seiten 7–8"),
        ("[1, S. 7–8]", "Seiten 7–8"),
        ("[1, Seite 7 f.]", "Seiten 7–8"),
        ("[1, pp. 7-8]", "Seiten 7–8"),
        ("[1, p. 7]", "Seite 7"),
        ("[1, S. 3 ff.]", "Seiten 3 ff."),
        ("[1, S. 7; 2, S. 3]", "Seite 7"),
    ],
)
def test_a_page_range_is_read_and_a_page_without_the_passage_named(marker: str, cited: str) -> None:
    answer = f"„Ausnahmen genehmigt die Oberbürgermeisterin“ {marker}"
    verdict = check_citations(answer, OBERBUERGERMEISTERIN)
    assert verdict.citations[0].problem == "wrong_page"
    assert verdict.problems[0] == f"[1] nennt {cited}, die Stelle steht auf Seite 2."


def test_a_page_range_that_holds_the_passage_is_supported() -> None:
    for marker in ("[1, S. 1-3]", "[1, S. 1 f.]", "[1, S. 2 ff.]", "[1, pp. 2–2]"):
        answer = f"„Ausnahmen genehmigt die Oberbürgermeisterin“ {marker}"
        verdict = check_citations(answer, OBERBUERGERMEISTERIN)
        assert verdict.supported, marker
    [first, last] = [check_citations(f"„Ausnahmen“ {m}", OBERBUERGERMEISTERIN).citations[0]
                     for m in ("[1, S. 1-3]", "[1, S. 2 ff.]")]  # fmt: skip
    assert (first.page, first.last_page) == (1, 3) and (last.page, last.last_page) == (2, None)


@pytest.mark.parametrize(
    "marker", ["[1, Abs. x]", "[1, S. y]", "[1, S. 8-7]", "[3-1]", "[1, § x]", "[1, Kap. 2]"]
)
def test_a_marker_that_cannot_be_read_is_named_not_skipped(marker: str) -> None:
    verdict = check_citations(f"„Ausnahmen genehmigt der Landrat“ {marker}", OBERBUERGERMEISTERIN)
    assert not verdict.supported and verdict.citations[0].problem == "unreadable"
    assert verdict.problems == [
        f"{marker} ist als Beleg nicht lesbar; schreiben Sie [n] oder [n, S. 4]."
    ]


def test_a_marker_without_a_quote_is_cited_but_not_checked_in_both_languages() -> None:
    answer = "Der Bürgermeister genehmigt mündlich [1]."
    verdict = check_citations(answer, OBERBUERGERMEISTERIN)
    assert not verdict.supported and verdict.status == "not_checked"
    assert verdict.citations[0].problem == "not_quoted"
    assert verdict.problems == ["[1] ist genannt, aber nicht wörtlich zitiert (nicht geprüft)."]
    english = check_citations(answer, OBERBUERGERMEISTERIN, language="en")
    assert english.problems == ["[1] is cited, not quoted (not checked)."]
    mixed = check_citations(f"„Ausnahmen genehmigt“ [1, S. 2]. {answer}", OBERBUERGERMEISTERIN)
    assert mixed.status == "not_checked" and [c.problem for c in mixed.citations] == [
        None,
        "not_quoted",
    ]
    wrong = check_citations(f"{answer} Dazu [7].", OBERBUERGERMEISTERIN)
    assert wrong.status == "unsupported"


def test_invisible_characters_do_not_keep_a_quote_from_its_source() -> None:
    source = [Src("Auf dem Schul\u00adgelände gilt Rauch\u200bverbot.")]
    assert check_citations("„Auf dem Schulgelände gilt Rauchverbot“ [1]", source).supported


FRIST = [
    Src("Die Frist beträgt vier Wochen nach Zugang des Bescheids.", page=3),
    Src("Anträge sind schriftlich zu stellen.", page=5),
    Src("Der Bescheid ist zu begründen.", page=7),
]


@pytest.mark.parametrize("quoted", ["„die“", "„ “", "„vier Wochen“", "'Frist'"])
def test_a_quote_too_short_to_prove_anything_counts_as_no_quote(quoted: str) -> None:
    verdict = check_citations(f"Die Frist beträgt acht Wochen, so {quoted} [1].", FRIST)
    assert verdict.status == "not_checked" and verdict.citations[0].quote is None
    assert verdict.citations[0].problem == "not_quoted"


@pytest.mark.parametrize(
    "answer",
    [
        "Laut „Satzung“ gilt: „Die Frist beträgt vier Wochen” [1].",
        "„Anträge sind schriftlich zu stellen“ [2] sowie „Anträge sind schriftlich zu stellen” [2]",
        "„Die Frist beträgt vier Wochen“ [1] und „Anträge sind schriftlich zu stellen“ (vgl. [2]).",
        "Das geht's nicht: 'Die Frist beträgt vier Wochen' [1].",
    ],
)
def test_a_quote_is_read_from_the_nearest_opening_mark_before_its_marker(answer: str) -> None:
    verdict = check_citations(answer, FRIST)
    assert verdict.status == "supported", verdict.problems
    assert all(c.quote and c.quote.startswith(("Die", "Anträge")) for c in verdict.citations)


def test_a_range_of_sources_names_each_and_a_missing_one_once() -> None:
    answer = "„Der Bescheid ist zu begründen“ [1–3]"
    verdict = check_citations(answer, FRIST)
    assert [(c.source, c.problem) for c in verdict.citations] == [
        (1, "quote_not_in_source"),
        (2, "quote_not_in_source"),
        (3, None),
    ]
    beyond = check_citations("„Der Bescheid ist zu begründen“ [3-999999999]", FRIST)
    assert [(c.source, c.problem) for c in beyond.citations] == [(3, None), (4, "unknown_source")]


@pytest.mark.parametrize(
    "marker", ["[1, § 4]", "[1, Abs. 2]", "[1 Art. 5 Abs. 2 Nr. 3]", "[1, Rn. 12]"]
)
def test_a_pinpoint_is_read_and_named_as_not_checked(marker: str) -> None:
    verdict = check_citations(f"„Die Frist beträgt vier Wochen“ {marker}", FRIST)
    assert verdict.status == "not_checked" and not verdict.supported
    [citation] = verdict.citations
    assert citation.problem == "pinpoint_not_checked"
    pinpoint = marker.strip("[]").lstrip("1, ")
    assert verdict.problems == [
        f"[1]: Das Zitat steht in der Quelle, die Fundstelle {pinpoint} ist nicht geprüft."
    ]
    english = check_citations(f"„Die Frist beträgt vier Wochen“ {marker}", FRIST, language="en")
    assert english.problems == [
        f"[1]: the quote is in the source; the pinpoint {pinpoint} was not checked."
    ]
    wrong = check_citations(f"„Die Frist beträgt acht Wochen“ {marker}", FRIST)
    assert wrong.status == "unsupported" and wrong.citations[0].problem == "quote_not_in_source"


def test_a_list_of_pages_holds_when_one_of_them_is_the_source_page() -> None:
    answer = "„Die Frist beträgt vier Wochen“ [1, S. 3, 4]"
    verdict = check_citations(answer, FRIST)
    assert verdict.supported and (verdict.citations[0].page, verdict.citations[0].last_page) == (
        3,
        4,
    )
    wrong = check_citations("„Die Frist beträgt vier Wochen“ [1, S. 5, 8 f.]", FRIST)
    assert wrong.problems == ["[1] nennt Seiten 5, 8–9, die Stelle steht auf Seite 3."]


class CountedSource:
    """A source that counts how often its text is read."""

    def __init__(self, text: str) -> None:
        self._text, self.reads, self.page = text, 0, None

    @property
    def text(self) -> str:
        self.reads += 1
        return self._text


def test_a_source_is_read_once_however_often_it_is_cited() -> None:
    source = CountedSource("Die Frist beträgt vier Wochen. " * 2000)
    answer = "„Die Frist beträgt vier Wochen“ [1] " * 1000 + "„beträgt vier Wochen. Die“ [1]"
    verdict = check_citations(answer, [source])
    assert verdict.status == "supported" and len(verdict.citations) == 1001
    assert source.reads == 1


@pytest.mark.parametrize(
    "piece",
    [
        "„aaaa [1]",
        "„aaaa“ [1] ",
        "x 'a b c d [1] ",
        "„a“ " + "[x] - ( " * 60 + "[1] ",
        "'" + "a'b " * 150 + "[1]",
        "„Die Frist beträgt vier Wochen“ " + "vgl. [1–3], " * 50,
    ],
)
def test_a_long_adversarial_answer_is_checked_in_linear_time(piece: str) -> None:
    answer = (piece * (200_000 // len(piece) + 1))[:200_000]
    started = time.process_time()  # this process's CPU time: other processes do not count
    check_citations(answer, FRIST)
    assert time.process_time() - started < 2  # the old scan took 12 s for the first


def test_a_full_stop_inside_the_closing_mark_is_not_part_of_the_quote() -> None:
    source = Src("Die Frist beträgt vier Wochen nach Zugang des Bescheids.", page=2)
    verdict = check_citations("So heißt es: „Die Frist beträgt vier Wochen.“ [1]", [source])
    assert verdict.status == "supported", verdict.problems


def test_each_source_number_is_placed_where_the_marker_writes_it() -> None:
    sources = [Src(f"Quelle {n} sagt etwas ganz Bestimmtes.") for n in (1, 2, 3)]
    answer = "„Quelle 1 sagt etwas ganz Bestimmtes“ [1, S. 3; 2] und [1–3]."
    verdict = check_citations(answer, sources)
    placed = [
        (c.source, answer[c.number_start : c.number_end] if c.number_start is not None else None)
        for c in verdict.citations
    ]
    assert placed == [(1, "1"), (2, "2"), (1, "1"), (2, None), (3, "3")]


def test_the_problem_texts_are_the_catalogues_in_both_languages() -> None:
    """A problem's code stays the same for machines; its text is the catalogue's (de.po)."""
    german = translations("de")
    answer = "„Werke sind immer geschützt“ [2] und [9] und [1, S. 4] und [2, S. 5-6]."
    verdict = check_citations(answer, SOURCES)
    assert [c.problem for c in verdict.citations] == [
        "quote_not_in_source",
        "unknown_source",
        "wrong_page",
        "no_pages",
    ]
    assert verdict.problems == [
        german["[{n}]: “{quote}” is not in that source."].format(
            n=2, quote="Werke sind immer geschützt"
        ),
        german["[{n}] names no source (there are {count})."].format(n=9, count=2),
        german["[{n}] names page {pages}; the passage is on page {actual}."].format(
            n=1, pages=4, actual=3
        ),
        german["[{n}] names pages {pages}, but the source has no pages."].format(n=2, pages="5–6"),
    ]
    assert verdict.problems[3] == "[2] nennt Seiten 5–6, aber die Quelle hat keine Seiten."
    english = check_citations(answer, SOURCES, language="en")
    assert [c.problem for c in english.citations] == [c.problem for c in verdict.citations]
    assert english.problems[1:] == [
        "[9] names no source (there are 2).",
        "[1] names page 4; the passage is on page 3.",
        "[2] names pages 5–6, but the source has no pages.",
    ]
    alone = [Src("Amtliche Werke genießen keinen urheberrechtlichen Schutz.")]
    assert check_citations("Siehe [2].", alone).problems == [
        "[2] nennt keine Quelle (es gibt nur eine)."
    ]
    assert check_citations("Siehe [2].", alone, language="en").problems == [
        "[2] names no source (there is only one)."
    ]


@pytest.mark.parametrize(
    "answer",
    [
        "Das gilt seit dem Jahr [2023]: „Amtliche Werke genießen keinen urheberrechtlichen "
        "Schutz“ [2].",
        "So das Gericht (Urteil vom 1. 1. [2023]): „Amtliche Werke genießen keinen "
        "urheberrechtlichen Schutz“ [2].",
        "Für [2019–2021] gilt: „Amtliche Werke genießen keinen urheberrechtlichen Schutz“ [2].",
    ],
)
def test_a_year_in_brackets_is_not_a_citation_where_there_are_far_fewer_sources(
    answer: str,
) -> None:
    verdict = check_citations(answer, SOURCES)
    assert verdict.status == "supported", verdict.problems
    assert [c.source for c in verdict.citations] == [2]
    assert check_citations("Das gilt seit [2023].", SOURCES).status == "no_citation"


def test_a_missing_source_is_still_named_however_it_looks_like_a_year() -> None:
    five = [Src(f"Quelle {n} sagt etwas ganz Bestimmtes.") for n in range(1, 6)]
    assert [c.problem for c in check_citations("So steht es [7].", five).citations] == [
        "unknown_source"
    ]
    with_page = check_citations("So steht es [2023, S. 4].", five)
    assert with_page.problems == ["[2023] nennt keine Quelle (es gibt 5)."]
    many = [Src(f"Quelle {n} sagt etwas ganz Bestimmtes.") for n in range(1, 301)]
    verdict = check_citations("So steht es [2023].", many)
    assert verdict.problems == ["[2023] nennt keine Quelle (es gibt 300)."]


@pytest.mark.parametrize(
    ("answer", "quote"),
    [
        (
            "Es heißt: ‚des Bürger’s Recht auf Akteneinsicht‘ [1].",
            "des Bürger’s Recht auf Akteneinsicht",
        ),
        ("‚So geht’s nicht weiter mit der Frist‘ [1]", "So geht’s nicht weiter mit der Frist"),
        ("„So geht’s nicht weiter mit der Frist“ [1]", "So geht’s nicht weiter mit der Frist"),
        ("‚So geht‘s nicht weiter mit der Frist’ [1]", "So geht‘s nicht weiter mit der Frist"),
    ],
)
def test_an_apostrophe_inside_a_german_quote_does_not_end_it(answer: str, quote: str) -> None:
    source = [
        Src("Das ist des Bürger’s Recht auf Akteneinsicht. So geht’s nicht weiter mit der Frist.")
    ]
    verdict = check_citations(answer, source)
    assert verdict.citations[0].quote == quote and verdict.status == "supported"


def test_an_apostrophe_after_a_closed_quote_opens_no_passage_back_to_it() -> None:
    """‚ closes with ‘: an apostrophe right before a marker ("Hans’ [1]") does not stretch the
    quote that ended at its ‘ up to the marker."""
    answer = "Sie schreibt ‚Die Frist beträgt vier Wochen‘ und nennt das Hans’ [1]."
    verdict = check_citations(answer, FRIST)
    assert verdict.citations[0].quote is None and verdict.citations[0].problem == "not_quoted"
    closed = "Sie schreibt ‚Die Frist beträgt vier Wochen‘ [1] und nennt das Hans’ [1]."
    assert [c.quote for c in check_citations(closed, FRIST).citations] == [
        "Die Frist beträgt vier Wochen",
        None,
    ]
