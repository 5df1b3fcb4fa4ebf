"""Errors and records said a count's noun with "(s)" ("unbekannte Aufgabe(n)", "with 1
thread(s)"): each now takes the noun in the number of what it counts, through the catalogue's
`plural` (German by default; a recorded method stays English)."""

import pytest
import torch

from gemeingut.audit.task_suite import TASKS, task_names
from gemeingut.data.pii import PIIScrubber
from gemeingut.errors import InputError, RecipeError
from gemeingut.model.flops import measured_peak


def test_one_unknown_task_is_singular_and_two_plural() -> None:
    with pytest.raises(InputError) as one:
        task_names([next(iter(TASKS)), "raten"])
    assert str(one.value.message) == "unbekannte Aufgabe raten"
    with pytest.raises(InputError) as two:
        task_names(["raten", "zaubern"])
    assert str(two.value.message) == "unbekannte Aufgaben raten, zaubern"


def test_one_unknown_pii_type_is_singular_and_two_plural() -> None:
    with pytest.raises(RecipeError) as one:
        PIIScrubber(types=("email", "passport"))  # type: ignore[arg-type]
    assert str(one.value.message) == "unbekannte PII-Art: passport"
    with pytest.raises(RecipeError) as two:
        PIIScrubber(types=("visa", "passport"))  # type: ignore[arg-type]
    assert str(two.value.message) == "unbekannte PII-Arten: passport, visa"


def test_the_recorded_peak_measurement_says_its_threads_in_their_number() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = measured_peak(torch.device("cpu"), torch.float32).method
        torch.set_num_threads(2)
        two = measured_peak(torch.device("cpu"), torch.float32).method
    finally:
        torch.set_num_threads(before)
    assert " on cpu with 1 thread, timed " in one
    assert " on cpu with 2 threads, timed " in two
