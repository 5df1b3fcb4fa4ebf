"""Rich progress bars on stderr; where stderr is not a terminal (CI logs, `make demo > log`),
a plain line every half minute instead, so that a long stage is not silent for minutes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gemeingut.i18n import _, current_language, numeral, text


class _Console(Console):
    """rich's console, whose lines stay whole where no terminal wraps them: in a pipe or log it
    broke them at 80 columns, a key's fingerprint or a file's path away from its label and a
    word of a table onto the next line without its indent. In a terminal, at words as before."""

    def print(self, *objects: Any, soft_wrap: bool | None = None, **options: Any) -> None:
        super().print(
            *objects, soft_wrap=not self.is_terminal if soft_wrap is None else soft_wrap, **options
        )


console = _Console(stderr=True)
# a command's result (findings, hits, a table) on stdout, so that `> file` and `| less` get it;
# progress, warnings and errors stay on stderr (`console`)
result_console = _Console()
PLAIN_EVERY_S = 30.0  # where no bar can be drawn: at most one line per this many seconds


class RateColumn(ProgressColumn):
    """Items per second (documents/s, steps/s): the throughput a user watches."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> str:
        """The rate to one decimal, written as the user's language writes numbers (79,7 in
        German): rich's own speed columns know only the English point."""
        if not task.speed:
            return ""
        language = current_language()
        return f"{numeral(round(task.speed, 1), language)} {self.unit}/s"


@contextmanager
def progress_bar(
    description: str, total: int | None = None, unit: str = ""
) -> Iterator[Callable[..., None]]:
    """Yield `advance(n, info)`; `info` (such as the loss) shows next to the bar."""
    columns = [
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        RateColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
    ]
    if not console.is_terminal:
        yield _PlainLines(description, total, unit).advance
        return
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(description, total=total, info="")

        def advance(n: int = 1, info: str = "") -> None:
            progress.update(task, advance=n, info=info)

        yield advance


class _PlainLines:
    """Progress as a line of text, at most every `PLAIN_EVERY_S`: a log file gets no bar
    redrawn line by line, but shows that the work goes on and how far it is."""

    def __init__(self, description: str, total: int | None, unit: str) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.done = 0
        self.started = self.said = time.monotonic()

    def advance(self, n: int = 1, info: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if now - self.said < PLAIN_EVERY_S:
            return
        self.said = now
        seconds = round(now - self.started)
        if self.total:
            line = _(
                "{description}: {done} of {total} {unit} ({share} %), {seconds} s so far",
                description=self.description,
                done=self.done,
                total=self.total,
                unit=self.unit,
                share=round(100 * self.done / self.total),
                seconds=seconds,
            )
        else:
            line = _(
                "{description}: {done} {unit}, {seconds} s so far",
                description=self.description,
                done=self.done,
                unit=self.unit,
                seconds=seconds,
            )
        shown = text(line) + (f" · {info}" if info else "")
        console.print(shown, markup=False, highlight=False, soft_wrap=True)
