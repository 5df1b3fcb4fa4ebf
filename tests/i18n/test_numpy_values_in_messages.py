"""A message's values were written as the reader's language writes numbers only when they were
Python ints or floats: a numpy float32 (a score read from Parquet), an int64 (a count from
pyarrow or numpy) kept Python's English digits inside a German sentence („1234.5“, „1234567“).
Every real number is now written by `numeral`; a truth value stays what it is."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from gemeingut.i18n import _, text


@pytest.mark.parametrize(
    ("value", "german", "english"),
    [
        (np.float32(1234.5), "1.234,5", "1,234.5"),
        (np.float32(0.1), "0,1", "0.1"),  # its own digits, not the float64's
        (np.float64(0.25), "0,25", "0.25"),
        (np.float16(1.5), "1,5", "1.5"),
        (np.int64(1234567), "1.234.567", "1,234,567"),
        (np.int32(-4200), "-4.200", "-4,200"),
        (np.uint8(200), "200", "200"),
        (Fraction(3, 4), "0,75", "0.75"),
    ],
)
def test_a_numpy_number_in_a_message_is_written_as_the_language_writes_numbers(
    value: object, german: str, english: str
) -> None:
    message = _("{value} tokens", value=value)
    assert text(message, "de") == f"{german} tokens"
    assert text(message, "en") == f"{english} tokens"


@pytest.mark.parametrize("value", [True, np.True_])
def test_a_truth_value_is_no_number(value: object) -> None:
    assert text(_("{value} tokens", value=value), "de") == f"{value} tokens"
