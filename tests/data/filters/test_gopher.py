"""GopherQuality and GopherRepetition: ordinary German, law and English pass; junk fails with a
specific reason and the measured value."""

import pytest

from gemeingut.data.filters import GopherQuality, GopherRepetition, split_words
from gemeingut.data.filters.gopher import NGrams
from tests.data.filters.texts import (
    ENGLISH_PROSE,
    GERMAN_PROSE,
    KEYWORD_SPAM,
    LAW_EXCERPT,
    NAVIGATION_PAGE,
    reason_for,
    run_block,
)

GOOD = {"german prose": GERMAN_PROSE, "law": LAW_EXCERPT, "english prose": ENGLISH_PROSE}


def test_words_are_split_the_german_way() -> None:
    text = "Die 1-DM-Goldmünze nach § 4 Abs. 2, z.B. 1.000,50 € am 31.12.2001 – Wert- und Bildseite"
    assert split_words(text) == [
        "Die", "1-DM-Goldmünze", "nach", "§", "4", "Abs", "2", "z.B", "1.000,50", "am",
        "31.12.2001", "Wert-", "und", "Bildseite",
    ]  # fmt: skip


@pytest.mark.parametrize("name", GOOD)
def test_ordinary_german_law_and_english_pass_quality(name: str) -> None:
    assert reason_for(GopherQuality(), GOOD[name]) is None


@pytest.mark.parametrize("name", GOOD)
def test_ordinary_german_law_and_english_pass_repetition(name: str) -> None:
    assert reason_for(GopherRepetition(), GOOD[name]) is None


@pytest.mark.parametrize(
    ("junk", "reason"),
    [
        ("Hallo Welt, das ist alles.", "gopher-quality:too-few-words"),
        (NAVIGATION_PAGE, "gopher-quality:too-few-words"),
        (" ".join("abcdefghijklmnopqrstuvwxyz" * 3), "gopher-quality:mean-word-length"),
        (" ".join(["#angebot #rabatt #sale #deal #billig"] * 12), "gopher-quality:hash-ratio"),
        (" ".join(["Na ja ... mal sehen ..."] * 15) + " " + GERMAN_PROSE,
         "gopher-quality:ellipsis-ratio"),
        ("\n".join(f"Heute {i} neue Artikel mit der Nummer {i} für die Leser im Archiv …"
                   for i in range(8)), "gopher-quality:ellipsis-lines"),
        ("\n\n".join(f"- Artikel {i} in den Warenkorb legen" for i in range(12)),
         "gopher-quality:bullet-lines"),
        ("Preise: " + " ".join(str(1000 + 7 * i) for i in range(80)) + " " + GERMAN_PROSE[:200],
         "gopher-quality:alpha-words"),
        (KEYWORD_SPAM, "gopher-quality:stop-words"),
    ],
)  # fmt: skip
def test_junk_fails_quality_with_specific_reason(junk: str, reason: str) -> None:
    assert reason_for(GopherQuality(), junk) == reason


def test_quality_exclusion_carries_measured_value_and_limit() -> None:
    block = GopherQuality()
    _, excluded = run_block(block, ["Nur fünf Wörter hier drin."])
    assert excluded[0].detail == "5 < 50"
    assert block.stats() == {
        "seen": 1, "kept": 0, "excluded": 1,
        "excluded_by_reason": {"gopher-quality:too-few-words": 1},
    }  # fmt: skip


def test_markdown_headings_and_form_dots_are_not_symbols() -> None:
    form = LAW_EXCERPT + "\n\nName: ..........................\nOrt: ....................\n"
    assert reason_for(GopherQuality(), "### " + form.replace("## ", "#### ")) is None


def test_every_quality_threshold_is_a_field_and_none_switches_it_off() -> None:
    assert reason_for(GopherQuality(min_words=200), GERMAN_PROSE) == "gopher-quality:too-few-words"
    assert reason_for(GopherQuality(min_words=None, min_stop_words=None), "Kurz.") is None
    assert reason_for(GopherQuality(max_words=50), GERMAN_PROSE) == "gopher-quality:too-many-words"


@pytest.mark.parametrize(
    ("junk", "reason"),
    [
        ("\n\n".join([GERMAN_PROSE] * 3), "gopher-repetition:duplicate-paragraphs"),
        ("\n".join(["Jetzt anmelden und gewinnen!"] * 10 + [GERMAN_PROSE]),
         "gopher-repetition:duplicate-lines"),
        ("\n".join([GERMAN_PROSE] * 2 + [ENGLISH_PROSE] * 2 + [LAW_EXCERPT]),
         "gopher-repetition:duplicate-line-chars"),
        (KEYWORD_SPAM, "gopher-repetition:top-2-gram"),
        # The same sentences twice, wrapped differently, so no line or paragraph repeats.
        (GERMAN_PROSE + "\n" + GERMAN_PROSE.replace(". ", ".\n"),
         "gopher-repetition:duplicate-5-grams"),
    ],
)  # fmt: skip
def test_repetitive_text_fails_with_specific_reason(junk: str, reason: str) -> None:
    assert reason_for(GopherRepetition(), junk) == reason


def test_repeated_layout_lines_are_not_repeated_content() -> None:
    table = "\n\n".join(["*   Betrag\n\n    *   –", "*   Zeile\n\n    *   -", "*\n*\n*"] * 4)
    assert reason_for(GopherRepetition(), LAW_EXCERPT + "\n\n" + table) is None


def test_repetition_thresholds_are_fields() -> None:
    doubled = GERMAN_PROSE + "\n" + GERMAN_PROSE.replace(". ", ".\n")
    lenient = GopherRepetition(duplicate_ngram_chars=((5, 0.9),))
    assert reason_for(lenient, doubled) is None
    strict = GopherRepetition(top_ngram_chars=((2, 0.001),))
    assert reason_for(strict, LAW_EXCERPT) == "gopher-repetition:top-2-gram"


def test_equally_frequent_top_ngrams_count_the_first_one_not_the_hash_order() -> None:
    # "a b" and "long words" both occur twice; the first one counts, whatever the hash salt.
    words = ["a", "b", "x", "a", "b", "long", "words", "y", "long", "words"]
    assert NGrams(words).top_chars(2) == 2 * len("a b")
