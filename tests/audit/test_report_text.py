"""Every word of the audit report exists in German and in English."""

from gemeingut.audit.report_text import NAMES, TEXT


def test_german_and_english_have_the_same_entries() -> None:
    assert set(TEXT["de"]) == set(TEXT["en"])
    assert all(value.strip() for language in TEXT.values() for value in language.values())
    assert set(NAMES) == set(TEXT)
