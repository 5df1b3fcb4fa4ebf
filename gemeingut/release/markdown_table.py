"""The Markdown of the release's documents that holds numbers outside sentences: table cells
and the model cards' template values. A number is written by `numeral`, as the messages around
it write theirs, so a German document never shows a count the English way (1234 beside 1.234)
and `verify`, which renders each document again, compares the same bytes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import jinja2

from gemeingut.i18n import Message, numeral, text

Cell = str | Message | int | float


def cell(value: Cell, language: str) -> str:
    """A cell in `language`: a message translated, a number as the language writes it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return numeral(value, language)
    return text(value, language)


def table(head: Sequence[Cell], rows: Iterable[Sequence[Cell]], language: str) -> list[str]:
    """A Markdown table, its head and every row written in `language`."""
    lines = [row(head, language), "|" + "---|" * len(head)]
    return lines + [row(cells, language) for cells in rows]


def row(cells: Sequence[Cell], language: str) -> str:
    """One line of a table (what `verify` looks for in a card that a template wrote)."""
    return "| " + " | ".join(cell(value, language) for value in cells) + " |"


def render_template(source: str, language: str, context: dict[str, Any]) -> str:
    """A card's Jinja template: each `{{ value }}` that is a number is written as `language`
    writes it (the numbers inside `_(...)` are, by the messages)."""
    environment = jinja2.Environment(finalize=lambda value: _finalized(value, language))
    return environment.from_string(source).render(context)


def _finalized(value: Any, language: str) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return numeral(value, language)
    return value
