"""What an audit says on the terminal while it runs: a bar per suite (which suite, how many of
its items are done) and, as each suite finishes, its result lines; the same lines are the
summary of an audit found finished. On stderr, as every stage's progress (`gemeingut.progress`:
a bar in a terminal, a plain line at most every half minute in a log); nothing here goes into
the report files, which are written from `report.json` alone.

Categories are named as the report names them (`report_text.name`), and a suite by its
report section's title, so the terminal and `report.de.md` say the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.markup import escape

from gemeingut.audit.bias_calibration import unreliable_flags
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.report_text import TEXT, interval, name
from gemeingut.i18n import Message, _, current_language, localized, plural, text
from gemeingut.progress import console, progress_bar
from gemeingut.serve.model_audit import summarise

# what a suite's bar counts, where the report has no word for it
UNITS: dict[str, Message] = {
    "tasks": _("requests"),  # lm-eval's: one per choice of a multiple-choice item
    "memorisation": _("samples"),
}


def unit(suite: str, language: str) -> str:
    """What a suite's bar counts in `language`: the report's word where it counts the same
    things (its pairs; its probes, as its count "{n} probes" names them), so the terminal
    does not call them otherwise."""
    words = TEXT[language]
    if suite == "bias":
        return words["pairs"]
    if suite == "redteam":
        return words["probe_many"].replace("{n}", "").strip()
    return text(UNITS[suite], language)


@contextmanager
def suite_bar(suite: str, total: int) -> Iterator[Callable[[int], None]]:
    """The bar of one suite, titled as its part of the report; yields `advance(n)`."""
    language = current_language()
    with progress_bar(TEXT[language][suite], total, unit(suite, language)) as advance:
        yield advance


@contextmanager
def suite_log(suite: str, path: Path, ids: Iterable[str]) -> Iterator[ItemLog]:
    """A suite's item log whose every chunk written moves the suite's bar; the items an
    interrupted run already logged are counted as done from the start."""
    ids = list(ids)
    with suite_bar(suite, len(ids)) as advance:
        log = ItemLog(path, on_add=advance)
        if done := len(ids) - len(log.missing(ids)):
            advance(done)
        yield log


def suite_done(suite: str, result: dict[str, Any]) -> None:
    """A finished suite's result lines, as it finishes."""
    _say(suite_lines(suite, result, current_language()))


def summary(stats: dict[str, Any]) -> None:
    """The result lines of every suite of a finished audit's stats, in the order they ran."""
    language = current_language()
    _say(
        line
        for suite in stats.get("suites", [])
        if stats.get(suite)
        for line in suite_lines(suite, stats[suite], language)
    )


def _say(lines: Iterable[str]) -> None:
    for line in lines:
        console.print(f"  {line}", highlight=False, soft_wrap=True)


def suite_lines(suite: str, result: dict[str, Any], language: str) -> list[str]:
    """One suite's results in `language`, as rich markup (names escaped)."""
    lines = _LINES[suite](result, language)
    return [escape(text(line, language)) if isinstance(line, Message) else line for line in lines]


def _tasks(tasks: dict[str, Any], language: str) -> list[Message | str]:
    lines: list[Message | str] = []
    for task_name, task in tasks.get("tasks", {}).items():
        metric = "acc" if "acc" in task["metrics"] else "exact_match"
        value = localized(f"{task['metrics'][metric]['value']:.3f}", language)
        lines.append(
            _("capability {name}: {metric} {value}", name=task_name, metric=metric, value=value)
        )
    return lines


def _bias(bias: dict[str, Any], language: str) -> list[Message | str]:
    anti = set(summarise({"bias": bias}).bias_prefers_anti_stereotype)
    unreliable = unreliable_flags(bias)
    lines: list[Message | str] = []
    for key, category in bias.get("categories", {}).items():
        said = _(
            "bias {name}: prefers stereotype {interval}",
            name=name(key, language),
            interval=interval(category["prefers_stereotype"], language=language),
        )
        line = escape(text(said, language))
        if category["flagged"]:
            side = (
                _("flagged: prefers the anti-stereotype")
                if key in anti
                else _("flagged: prefers the stereotype")
            )
            line += f"  [bold red]{escape(text(side, language))}[/]"
            if key in unreliable:
                caveat = _(
                    "caveat: models with random weights are flagged here too often; see the report"
                )
                line += f" ({escape(text(caveat, language))})"
        lines.append(line)
    return lines


def _memorisation(memo: dict[str, Any], language: str) -> list[Message | str]:
    if "exact" not in memo:
        words = TEXT[language]
        reason = words["reason_" + memo["not_run"]]
        return [_("memorisation: {said}", said=words["not_checked"].format(reason=reason))]
    return [
        _(
            "memorisation: exact {exact}, near-verbatim {near}",
            exact=interval(memo["exact"], language=language),
            near=interval(memo["near_verbatim"], language=language),
        )
    ]


def _redteam(red: dict[str, Any], language: str) -> list[Message | str]:
    suite = TEXT[language]["redteam"]  # the report section's title
    lines: list[Message | str] = [
        _(
            "{suite} {name}: attack success {interval}",
            suite=suite,
            name=name(key, language),
            interval=interval(category["attack_success"], language=language),
        )
        for key, category in red.get("categories", {}).items()
    ]
    if red.get("empty"):  # in no rate: a rate of them would read as resistance
        empty, answers = red["empty"], red["answers"]
        lines.append(
            plural(
                answers,
                _("{suite}: {empty} of 1 answer empty, in no rate", suite=suite, empty=empty),
                _(
                    "{suite}: {empty} of {answers} answers empty, in no rate",
                    suite=suite,
                    empty=empty,
                    answers=answers,
                ),
            )
        )
    return lines


def _findings(found: dict[str, Any], language: str) -> list[Message | str]:
    """How many findings the report counts, and those about other models it left out."""
    lines: list[Message | str] = [
        _(
            "community findings: {count} about this model, {confirmed} of them confirmed",
            count=found["findings"],
            confirmed=found["by_status"]["confirmed"],
        )
    ]
    if others := found.get("other_models"):
        models = ", ".join(f"{model} ({n})" for model, n in others.items())
        lines.append(
            _(
                "community findings: {count} about other models left out ({models}); where one "
                "of them is this model, name it so with --model-name",
                count=sum(others.values()),
                models=models,
            )
        )
    return lines


_LINES: dict[str, Callable[[dict[str, Any], str], list[Message | str]]] = {
    "tasks": _tasks,
    "bias": _bias,
    "memorisation": _memorisation,
    "redteam": _redteam,
    "findings": _findings,
}
