"""The data statement's and the cards' words for codes: licences by their German names (the
web page's), a choice of licences as a choice of both, and every exclusion reason the curate
stage and its filters give by its meaning, the code beside it."""

from __future__ import annotations

from gemeingut.data.publish.data_statement import Words, licence_table
from gemeingut.data.publish.reasons import reason_meaning, reason_said
from gemeingut.i18n import text


def test_the_licence_table_names_both_licences_of_a_choice_in_german() -> None:
    table = licence_table(Words("de"), {"CC0-1.0 OR CC-BY-4.0": 1, "DL-DE-BY-2.0": 2}, 3)
    rows = {line.split(" | ")[0].strip("| `"): line for line in table.splitlines()}
    choice = rows["CC0-1.0 OR CC-BY-4.0"]
    assert (
        "Creative Commons Zero 1.0 Universell oder Creative Commons Namensnennung 4.0 "
        "International" in choice
    )
    assert "[CC0-1.0](https://spdx.org/licenses/CC0-1.0.html)" in choice
    assert "[CC-BY-4.0](https://spdx.org/licenses/CC-BY-4.0.html)" in choice
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in rows["DL-DE-BY-2.0"]


def test_every_filter_reason_has_a_meaning() -> None:
    codes = [
        "gopher-quality:bullet-lines",
        "gopher-quality:too-few-words",
        "gopher-quality:stop-words",
        "gopher-repetition:duplicate-lines",
        "gopher-repetition:top-2-gram",
        "gopher-repetition:duplicate-5-grams",
        "fineweb-quality:line-punctuation",
        "fineweb-quality:newline-ratio",
        "language-fr",
        "language-uncertain",
        "licence-missing",
        "duplicate",
    ]
    for code in codes:
        meaning = reason_meaning(code)
        assert meaning is not None, code
        assert "`" not in text(meaning, "de"), code  # no code left unexplained inside
    assert text(reason_meaning("gopher-quality:bullet-lines"), "de") == (
        "Gopher-Qualitätsfilter: zu viele Zeilen beginnen mit einem Aufzählungszeichen"
    )
    assert text(reason_meaning("gopher-repetition:top-2-gram"), "de") == (
        "Gopher-Wiederholungsfilter: das häufigste 2-Gramm nimmt zu viel vom Text ein"
    )


def test_a_reason_is_said_by_its_meaning_with_the_code_beside_it() -> None:
    assert reason_said("licence-missing", "de") == "keine Lizenz angegeben (`licence-missing`)"
    assert reason_said("duplicate", "en") == (
        "same normalised text as an earlier document (`duplicate`)"
    )
    assert reason_said("newer-filter:check", "de") == "`newer-filter:check`"  # as it is
