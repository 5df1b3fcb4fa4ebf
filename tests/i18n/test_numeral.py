"""`numeral` writes a float in a document as Python shows it, never cut to six digits nor in an
exponent a reader has to decode (a perplexity of 12345.678 was „12.345,7“, one million
„1e+06“ and 1234567.891 „1,23457e+06“ in a German table)."""

from __future__ import annotations

import numpy as np
import pytest

from gemeingut.i18n import numeral


@pytest.mark.parametrize(
    ("value", "german", "english"),
    [
        (12345.678, "12.345,678", "12,345.678"),  # every digit kept
        (1234567.891, "1.234.567,891", "1,234,567.891"),
        (1e6, "1.000.000", "1,000,000"),  # a whole float as a count
        (123456789.0, "123.456.789", "123,456,789"),
        (1e20, "100.000.000.000.000.000.000", "100,000,000,000,000,000,000"),
        (0.000123456, "0,000123456", "0.000123456"),
        (1e-6, "0,000001", "0.000001"),  # the smallest written out
        (2.5e-7, "2,5e-07", "2.5e-07"),  # beyond: the exponent, with the decimal comma
        (1e21, "1e+21", "1e+21"),
        (1.5e300, "1,5e+300", "1.5e+300"),
        (-1234.5, "-1.234,5", "-1,234.5"),
        (-0.0, "0", "0"),  # a rounded tiny negative is no "-0"
        (3.0, "3", "3"),
        (0.1 + 0.2, "0,30000000000000004", "0.30000000000000004"),  # not rounded here
        (float("nan"), "nan", "nan"),
        (float("-inf"), "-inf", "-inf"),
        (np.float64(2.5), "2,5", "2.5"),
        (np.float32(0.5), "0,5", "0.5"),
        (1234, "1.234", "1,234"),
        (np.int64(-6636), "-6.636", "-6,636"),
    ],
)
def test_a_number_is_written_as_the_document_language_writes_it(
    value: float, german: str, english: str
) -> None:
    assert numeral(value, "de") == german
    assert numeral(value, "en") == english


def test_every_written_float_reads_back_as_the_same_float() -> None:
    """What a document says is the value itself: `verify` can compare it with the record."""
    rng = np.random.default_rng(0)
    for value in [*(10.0 ** rng.uniform(-6, 21, 200)), 12345.678, 0.1]:
        english = numeral(float(value), "en")
        german = numeral(float(value), "de")
        assert float(english.replace(",", "")) == value
        assert german == english.translate(str.maketrans(",.", ".,"))
