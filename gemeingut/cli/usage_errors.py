"""A command line that typer cannot parse, said in the reader's language.

typer writes its parse errors ("No such option", "Missing option", "Invalid value for") in
English, and the value errors under them come from pydantic. `said` puts each kind into the
catalogue's words: an option typer does not know (with its guesses), a missing option or
argument, a wrong value (pydantic's error kind, written as the recipe's validation writes it),
an option without its value (or with one it takes none of), extra arguments, an unknown or
missing command. A kind not known here keeps typer's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoSuchOption,
    UsageError,
)

from gemeingut.i18n import Message, _, text
from gemeingut.i18n.validation import problem

NO_SUCH_COMMAND = re.compile(
    r"No such command '(?P<name>.*)'\.(?: Did you mean '(?P<guess>.*)'\?)?"
)
EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<arguments>.*)\)")
# typer's parser (click's): an option given without its value(s), or with one it takes none of.
NO_VALUE = re.compile(
    r"Option '(?P<option>.*)' requires (?:an argument|(?P<count>\d+) arguments)\."
)
NO_VALUE_TAKEN = re.compile(r"Option '(?P<option>.*)' does not take a value\.")


def in_language(show: Callable[[ClickException], None], language: str) -> Any:
    """typer's `rich_format_error`, showing the error in `language`."""

    def shown(error: ClickException) -> None:
        message = said(error)
        if isinstance(message, Message):
            translated = UsageError(text(message, language), getattr(error, "ctx", None))
            translated.exit_code = error.exit_code
            error = translated
        show(error)

    return shown


def said(error: ClickException) -> Message | str:
    """The error in the catalogue's words, or typer's own where the kind is not known here."""
    if isinstance(error, NoSuchOption):
        if error.option_name.split("=", 1)[0] == "--lang":  # an option of `gemeingut` itself
            command = " ".join(_subcommands(error.ctx)) if error.ctx else ""
            return _(
                "--lang is an option of gemeingut itself: give it before the command, e.g. "
                "gemeingut --lang en {command}",
                command=command or "…",
            )
        options = ", ".join(sorted(error.possibilities or ()))
        if options:
            return _(
                "No such option: {option} (possible options: {options})",
                option=error.option_name,
                options=options,
            )
        return _("No such option: {option}", option=error.option_name)
    if isinstance(error, MissingParameter):
        return _missing(error)
    if isinstance(error, BadParameter):
        name = _hint(error)
        if not name:
            return _("Invalid value: {problem}", problem=_wrong(error))
        return _("Invalid value for {name}: {problem}", name=name, problem=_wrong(error))
    if isinstance(error, UsageError):
        if found := NO_SUCH_COMMAND.fullmatch(error.message):
            if found["guess"]:
                return _(
                    "No such command {name!r}. Did you mean {guess!r}?",
                    name=found["name"],
                    guess=found["guess"],
                )
            return _("No such command {name!r}.", name=found["name"])
        if found := EXTRA_ARGUMENTS.fullmatch(error.message):
            return _("Unexpected extra arguments: {arguments}", arguments=found["arguments"])
        if error.message == "Missing command.":
            return _("A command is missing.")
        if found := NO_VALUE.fullmatch(error.message):
            return _no_value(found["option"], found["count"])
        if found := NO_VALUE_TAKEN.fullmatch(error.message):
            return _("Option {option!r} takes no value.", option=found["option"])
    return error.format_message()


def _no_value(option: str, count: str | None) -> Message:
    """An option at the end of the line, or followed by too few values for it."""
    if count is None:
        return _(
            "Option {option!r} requires a value: write it after the option ({option} VALUE).",
            option=option,
        )
    return _("Option {option!r} requires {count} values.", option=option, count=count)


def _missing(error: MissingParameter) -> Message:
    kind = error.param_type or (error.param.param_type_name if error.param else "parameter")
    name = _hint(error)
    if kind == "option":
        return _("Missing option {name}.", name=name)
    if kind == "argument":
        return _("Missing argument {name}.", name=name)
    return _("Missing parameter {name}.", name=name)


def _hint(error: BadParameter) -> Message | str:
    """The option's names or the argument's, as typer names them, and the environment variable
    that may give it."""
    param = error.param
    if param is None:
        hints = error.param_hint or ()
        return " / ".join([hints] if isinstance(hints, str) else hints)
    if param.param_type_name == "argument":  # as the help names it (BUNDLE), see help_language
        shown = [param.metavar or param.name]
    else:
        shown = getattr(param, "opts", None) or [param.name]
    names = " / ".join(f"'{name}'" for name in shown)
    if getattr(param, "show_envvar", False) and param.envvar:
        return _("{names} (environment variable {variable})", names=names, variable=param.envvar)
    return names


def _wrong(error: BadParameter) -> Message | str:
    """What is wrong with the value: pydantic's error kind in the catalogue's words, when typer
    checked the value with pydantic; else typer's sentence."""
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return problem(found[0])
    return error.message


def _subcommands(ctx: Any) -> list[str]:
    """The names of the commands under `gemeingut` that `ctx` is in (`admin audit records`),
    whatever the program was called (`python -m gemeingut.cli`)."""
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    return names
