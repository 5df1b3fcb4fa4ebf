"""The CLI's help in the reader's language.

Help texts are written in English in the code, where typer takes them (`help=` and the
commands' docstrings). `make messages` adds them from the command tree to the catalogue
(`python -m gemeingut.cli.help_language POT`), and before a command runs, `command_in` gives
the tree the catalogue's German: every command's help, every option's and argument's, the
titles and notes of typer's help panels, the usage line, and the errors of a command line
typer cannot parse (`usage_errors.py`). The language is the one messages use: `--lang`,
`GEMEINGUT_LANG` or the locale, German by default.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
import typer.core
import typer.rich_utils
from rich.columns import Columns
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from gemeingut.cli.usage_errors import in_language
from gemeingut.i18n import LANGUAGES, environment_language, localized, translations
from gemeingut.i18n.template import add_to_template

RICH_FORMAT_ERROR = typer.rich_utils.rich_format_error  # typer's, before `command_in` wraps it

# typer's panel titles and notes (module constants it reads when it draws the help)
PANEL_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "DEPRECATED_STRING": "(deprecated) ",
    "ERRORS_PANEL_TITLE": "Error",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
    "ABORTED_TEXT": "Aborted.",
}
HELP_OPTION = "Show this message and exit."  # the text of every command's --help
USAGE = "Usage:"  # how click begins a command's usage line
# the usage line's placeholders for a command's options and a group's subcommands
OPTIONS_METAVAR = "[OPTIONS]"
SUBCOMMAND_METAVAR = "COMMAND [ARGS]..."
# The kinds of value as English help names them: typer shows a parser's Python type (`<Path>`
# of a path that `given_path` parses, `<list[str]>`), where German help shows words (<Pfad>,
# <Texte>). The typer names stay the catalogue's msgids.
ENGLISH_KINDS = {
    "<str>": "<text>",
    "<Path>": "<path>",
    "<int>": "<integer>",
    "<int range>": "<integer>",
    "<float>": "<number>",
    "<float range>": "<number>",
    "<list[str]>": "<texts>",
    "<list[Path]>": "<paths>",
}


def main() -> None:
    """The `gemeingut` command, its help in the language of `--lang` or the environment."""
    from gemeingut.cli.closed_pipe import quiet_on_closed_pipe

    quiet_on_closed_pipe(command_in(language_of(sys.argv[1:])))()


def command_in(language: str) -> Any:
    """The command tree, its help texts in `language`."""
    from gemeingut.cli import app

    command = typer.main.get_command(app)
    catalogue = translations(language)  # empty for English: the texts as written
    for node in _nodes(command):
        for field in ("help", "short_help"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                setattr(node, field, _unwrapped(catalogue.get(value, value)))
        _name_placeholders(node, catalogue)
        _numbers_in(node, language)
        if hasattr(node, "get_help_option"):
            node.get_help_option = _helped(node.get_help_option, catalogue)
            node.get_usage = _usage(node.get_usage, catalogue.get(USAGE, USAGE))
    for node in _nodes(command):  # once every placeholder and text is in the language
        _arguments_named(node)
    for name, english in PANEL_TEXTS.items():
        setattr(typer.rich_utils, name, catalogue.get(english, english))
    typer.rich_utils.rich_format_error = in_language(RICH_FORMAT_ERROR, language)
    typer.rich_utils.Table = FoldingTable
    return command


class FoldingTable(Table):
    """typer's help tables keep rich's default overflow, "ellipsis", on their columns: in an
    80-column terminal a long option name (`--oidc-client-secret-env`) or a long word in its
    help (Massenvernichtungswaffen, a URL) was cut to "…". Folded, every character stays: the
    columns fold, and so do the texts typer groups in a cell (`Columns`: help, default).

    A column of names alone (options, commands: one word a cell) does not wrap at all: rich
    narrows every column that may wrap to fit the width, and a name has no space to wrap at,
    so it was folded in two (`--oidc-client-secret-e` / `nv`). The help beside it wraps
    instead, at its spaces."""

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*_negation_below(list(renderables)), **options)
        for column in self.columns:
            column.overflow = "fold"
            column.no_wrap = _names_fit(list(column.cells))
        for cell in renderables:
            for part in cell.renderables if isinstance(cell, Columns) else [cell]:
                if isinstance(part, Text):
                    part.overflow = "fold"


def _negation_below(cells: list[Any]) -> list[Any]:
    """An option row of typer (long names, short names, negations, short negations, type, help;
    a required mark before them) with its negation moved under its name and a number's range
    under its type: in a column of its own (`--random-offset  --document-start`) the negation
    took the width of a second name column from every row, and so did a range beside its type
    (`<Ganzzahl> [1<=x<=36500]`); the help beside them, left a few letters a line in 80
    columns, broke its words (`OpenAI-kompatibl` / `en`, `Massenvernichtungswaff` / `en`)."""
    if len(cells) not in (6, 7) or not all(isinstance(cell, Text) for cell in cells[-6:-1]):
        return cells
    name, negation, kind = len(cells) - 6, len(cells) - 4, len(cells) - 2
    cells = [*cells]
    if cells[negation].plain:
        cells[name] = _below(cells[name], cells[negation])
        cells[negation] = Text("")
    at = cells[kind].plain.find(" [")
    if at > 0:
        head, _, tail = cells[kind].divide([at, at + 1])
        cells[kind] = _below(head, tail)
    return cells


def _below(upper: Text, lower: Text) -> Text:
    joined = upper.copy()
    joined.append("\n")
    joined.append_text(lower)
    return joined


def _names_fit(cells: list[Any]) -> bool:
    """Whether a column holds names alone (one word a cell, or nothing) that fit in 40% of the
    terminal: in a narrower one, names kept whole would squeeze the help beside them to a few
    letters a line, so there they fold as before."""
    if not all(isinstance(cell, Text | str) and " " not in str(cell).strip() for cell in cells):
        return False
    longest = max((len(str(cell).strip()) for cell in cells), default=0)
    return longest <= NAME_SHARE * shutil.get_terminal_size().columns


NAME_SHARE = 0.4  # of the terminal's width, at most, for a column of names kept whole


def _name_placeholders(node: Any, catalogue: dict[str, str]) -> None:
    """Placeholders as the help texts name them: an argument as BUNDLE, not typer's `{bundle}`
    (the texts say "Check BUNDLE"), a flag without one (typer 0.29 shows `<bool>` beside
    `--json`, as if it took a value), the usage line's [OPTIONS] in the language."""
    if isinstance(node, typer.core.TyperArgument) and node.metavar is None and node.name:
        node.metavar = catalogue.get(node.name.upper(), node.name.upper())
    elif isinstance(node, typer.core.TyperOption) and node.is_flag and node.metavar is None:
        node.metavar = ""
    elif isinstance(node, typer.core.TyperOption) and node.metavar:
        node.metavar = catalogue.get(node.metavar, node.metavar)  # `--also [NAME=]PATH`
    if isinstance(node, typer.core.TyperArgument | typer.core.TyperOption):
        node.display_type = _type_label(node.display_type, catalogue)
    if isinstance(node, typer.core.TyperArgument):
        node._usage_display_name = _unbraced(node._usage_display_name)
    if getattr(node, "options_metavar", None) == OPTIONS_METAVAR:
        node.options_metavar = catalogue.get(OPTIONS_METAVAR, OPTIONS_METAVAR)
    if getattr(node, "subcommand_metavar", None) == SUBCOMMAND_METAVAR:
        node.subcommand_metavar = catalogue.get(SUBCOMMAND_METAVAR, SUBCOMMAND_METAVAR)


def _unbraced(usage_name: Callable[[], str]) -> Any:
    """A required argument in the usage line as the help texts name it, BUNDLE: typer 0.29
    writes `{BUNDLE}`, which reads as a set of choices or a template to fill in. An optional
    one stays in brackets, as click writes it."""

    def plain() -> str:
        return re.sub(r"^\{(.*)\}", r"\1", usage_name())

    return plain


def _arguments_named(command: Any) -> None:
    """A command's help, and its options', naming its arguments as the usage line does in the
    language (FOLDER is ORDNER in German): the texts are translated with the English name."""
    named = {
        param.name.upper(): param.metavar
        for param in getattr(command, "params", [])
        if isinstance(param, typer.core.TyperArgument) and param.name and param.metavar
        if param.metavar != param.name.upper()
    }
    if not named:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, named)) + r")\b")
    for node in [command, *command.params]:
        for field in ("help", "short_help"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                setattr(node, field, pattern.sub(lambda m: named[m[1]], value))


def _numbers_in(node: Any, language: str) -> None:
    """A parameter's default and range with the language's decimal mark ([Standard: 16,0],
    [x>=0,001] in German): typer writes them as Python does."""
    if language == "en" or not isinstance(node, typer.core.TyperArgument | typer.core.TyperOption):
        return
    default_string = node._get_default_string

    def default(**kwargs: Any) -> str:
        said = default_string(**kwargs)
        value = kwargs.get("default_value")
        if isinstance(value, float) and said == str(value):
            return localized(said, language)
        return said

    node._get_default_string = default
    if hasattr(node, "_get_number_range_help_str"):
        range_string = node._get_number_range_help_str

        def ranged() -> str | None:
            said = range_string()
            return localized(said, language) if said else said

        node._get_number_range_help_str = ranged


def _type_label(display_type: Callable[[Any], str], catalogue: dict[str, str]) -> Any:
    """The kind of value a parameter takes (<path>, <text> …), in the language: from the
    catalogue, in English as a word (`ENGLISH_KINDS`)."""

    def translated(context: Any) -> str:
        label = display_type(context)
        return catalogue.get(label, ENGLISH_KINDS.get(label, label))

    return translated


def _unwrapped(text: str) -> str:
    """A docstring's paragraphs on one line each (its line breaks fit the English words, and
    the help panel wraps the text to the terminal anyway), with rich's markup escaped: a
    recipe's `[audit]` is a name, not a style tag that would vanish from the help."""
    return escape(re.sub(r"(?<=\S)\n(?=\S)", " ", text))


def _usage(get_usage: Callable[[Any], str], prefix: str) -> Any:
    """The command's usage line, which click begins with "Usage:", begun in the language."""

    def translated(context: Any) -> str:
        return re.sub(rf"^{re.escape(USAGE)}", prefix, get_usage(context))

    return translated


def _helped(get_help_option: Callable[[Any], Any], catalogue: dict[str, str]) -> Any:
    """`--help`, which the command makes when it is asked, with its own text translated."""

    def translated(context: Any) -> Any:
        option = get_help_option(context)
        if option is not None:
            _name_placeholders(option, catalogue)
            option.help = catalogue.get(option.help, option.help)
        return option

    return translated


def language_of(arguments: list[str]) -> str:
    """The language `--lang` names on the command line, else the environment's."""
    for index, argument in enumerate(arguments):
        value = None
        if argument == "--lang" and index + 1 < len(arguments):
            value = arguments[index + 1]
        elif argument.startswith("--lang="):
            value = argument.removeprefix("--lang=")
        if value in LANGUAGES:
            return value
    return environment_language()


def help_texts(command: Any = None) -> list[str]:
    """Every help text of the command tree (by default gemeingut's) and typer's panels, once
    each, in English; with the kinds of value its parameters take as typer names them (<path>,
    <int range> …), read from the tree: a new kind needs its German as a new help text does."""
    if command is None:
        from gemeingut.cli import app

        command = typer.main.get_command(app)
    found = dict.fromkeys(
        [*PANEL_TEXTS.values(), HELP_OPTION, USAGE, OPTIONS_METAVAR, SUBCOMMAND_METAVAR]
    )
    context = typer.Context(command)
    for node in _nodes(command):
        for field in ("help", "short_help"):
            value = getattr(node, field, None)
            if isinstance(value, str) and value.strip():
                found[value] = None
        # a flag shows no kind of value (`_name_placeholders`)
        parameter = isinstance(node, typer.core.TyperArgument | typer.core.TyperOption)
        if parameter and not getattr(node, "is_flag", False):
            found[node.display_type(context)] = None
        if isinstance(node, typer.core.TyperArgument) and node.metavar is None and node.name:
            found[node.name.upper()] = None  # its placeholder (FOLDER) in the language
        if isinstance(node, typer.core.TyperOption) and node.metavar:
            found[node.metavar] = None  # one of its own (`[NAME=]PATH`)
    return list(found)


def _nodes(command: Any) -> Iterator[Any]:
    """The command, its parameters, and so on down every subcommand."""
    yield command
    yield from command.params
    for sub in getattr(command, "commands", {}).values():
        yield from _nodes(sub)


if __name__ == "__main__":
    add_to_template(Path(sys.argv[1]), help_texts())
