"""A numpy float32 (a weight, a score read from a safetensors or Parquet file) was written with
the digits of the float64 it becomes: `numeral(np.float32(0.1), "de")` gave „0,10000000149011612“,
digits the value's own precision never held. It is written by the shortest digits that read back
as exactly that float32, as numpy itself shows it."""

from __future__ import annotations

import numpy as np
import pytest

from gemeingut.i18n import numeral


@pytest.mark.parametrize(
    ("value", "german", "english"),
    [
        (np.float32(0.1), "0,1", "0.1"),
        (np.float32(12345.678), "12.345,678", "12,345.678"),
        (np.float32(-0.3), "-0,3", "-0.3"),
        (np.float32(1e17), "100.000.000.000.000.000", "100,000,000,000,000,000"),
        (np.float32(2.5e-7), "2,5e-07", "2.5e-07"),  # beyond the written-out range
        (np.float32(3.4e38), "3,4e+38", "3.4e+38"),
        (np.float32(-0.0), "0", "0"),
        (np.float16(0.1), "0,1", "0.1"),
    ],
)
def test_a_float32_is_written_by_its_own_shortest_digits(
    value: np.floating, german: str, english: str
) -> None:
    assert numeral(value, "de") == german
    assert numeral(value, "en") == english
    assert type(value)(english.replace(",", "")) == value  # read back: the very value
