"""A bar's rate column writes its number as the user's language does: 79,7 under German."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress

from gemeingut.i18n import use_language
from gemeingut.progress import RateColumn


def _rendered(language: str, done: list[int]) -> str:
    """A bar of `done` items after each second of a clock the test moves, printed as text."""
    clock = [0.0]
    out = io.StringIO()
    progress = Progress(
        RateColumn("Anfragen" if language == "de" else "requests"),
        console=Console(file=out, width=120, force_terminal=False),
        get_time=lambda: clock[0],
        auto_refresh=False,
    )
    task = progress.add_task("x", total=None)
    for n in done:
        progress.advance(task, n)
        clock[0] += 1.0
    with use_language(language):
        progress.console.print(progress.make_tasks_table(progress.tasks))
    return out.getvalue().strip()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "79,7 Anfragen/s"), ("en", "79.7 requests/s")],
)
def test_rate_is_written_in_the_users_language(language: str, expected: str) -> None:
    # 0 items at the first sample, then 797 over the 10 seconds after it: 79.7 a second
    assert _rendered(language, [0] + [79] * 9 + [86]) == expected


def test_a_large_rate_groups_digits_as_the_language_does() -> None:
    assert _rendered("de", [0, 12345]) == "12.345 Anfragen/s"
    assert _rendered("en", [0, 12345]) == "12,345 requests/s"
