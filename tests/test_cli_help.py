"""The command line's help is German by default and English on request: every help text of
the command tree has its German in the catalogue, and `gemeingut … --help` shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from typing import Annotated

import pytest
import typer

from gemeingut.cli.help_language import help_texts, language_of
from gemeingut.i18n import translations


def test_every_help_text_of_the_command_tree_has_its_german() -> None:
    german = translations("de")
    texts = help_texts()
    assert len(texts) > 200  # the whole tree, not just the root
    assert [text for text in texts if text not in german] == []


def test_the_kinds_of_value_to_translate_are_read_from_the_command_tree() -> None:
    """A parameter of a kind no command had before (a date) asks for its German, as a new help
    text does: the labels are not a list of those typer showed once."""
    tool = typer.Typer()

    @tool.command()
    def due(when: Annotated[datetime, typer.Option()], name: str, loud: bool = False) -> None:
        """Say when."""

    texts = help_texts(typer.main.get_command(tool))
    assert "<datetime>" in texts and "<str>" in texts and "Say when." in texts
    assert "<bool>" not in texts  # a flag shows no kind of value


def help_output(*arguments: str, width: int = 200) -> str:
    env = {**os.environ, "TERMINAL_WIDTH": str(width), "GEMEINGUT_LANG": "de"}
    done = subprocess.run(
        [sys.executable, "-m", "gemeingut.cli", *arguments, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_help_is_german_by_default_and_english_with_lang_en() -> None:
    german = help_output("serve")
    assert translations("de")["Name the API reports."] in german
    assert "Optionen" in german and "Name the API reports." not in german
    english = help_output("--lang", "en", "serve")
    assert "Name the API reports." in english and "Options" in english
    assert "[audit]" in help_output("--lang", "en", "audit", "run")  # a name, not rich markup
    root = help_output()
    assert translations("de")["Keys that sign release bundles."] in root


@pytest.mark.parametrize("command", [("serve",), ("admin", "audit", "export"), ("audit", "run")])
def test_at_80_columns_no_option_name_or_word_of_help_is_cut(command: tuple[str, ...]) -> None:
    """In an 80-column terminal (SSH) rich cut what did not fit its column to "…"
    (`--oidc-client-secret-…`, "Massenvernichtungswaff…", "postgresql://user:pw@hos…"): every
    "…" at 80 columns is one the texts hold, as at 200."""
    narrow, wide = help_output(*command, width=80), help_output(*command, width=200)
    assert narrow.count("…") == wide.count("…")


def test_at_80_columns_every_option_and_command_name_stays_whole() -> None:
    """rich narrowed the column of option names to fit 80 columns (COLUMNS=80, an SSH
    terminal) and folded a long name in two (`--oidc-client-secret-e` / `nv`, seven names in
    all). Every command's help of the whole tree (in a process of its own: `command_in` sets
    typer's texts) holds each of its option and command names whole, no line wider than 80,
    and each word of its options' help up to 26 letters whole: a negation in a column of its
    own (`--document-start`) and a range beside its type (`[1<=x<=36500]`) left the help a
    few letters a line (`OpenAI-kompatibl` / `en`, `Massenvernichtungswaff` / `en`)."""
    import json

    env = {**os.environ, "COLUMNS": "80", "GEMEINGUT_LANG": "de"}
    env.pop("TERMINAL_WIDTH", None)  # typer's own setting would win over the terminal's
    done = subprocess.run(
        [sys.executable, "-c", NAMES_CUT],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    shown, broken = json.loads(done.stdout)
    assert shown > 50  # the whole tree, not just the root
    assert broken == []


NAMES_CUT = r"""
import contextlib, io, json, re
from gemeingut.cli.help_language import command_in
command = command_in("de")
def walk(node, path):
    yield path, node
    for name, sub in getattr(node, "commands", {}).items():
        yield from walk(sub, [*path, name])
shown, broken = 0, []
for path, node in walk(command, []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        command.main([*path, "--help"], prog_name="gemeingut", standalone_mode=False)
    said = out.getvalue()
    shown += 1
    names = [o for p in node.params for o in [*p.opts, *p.secondary_opts] if o.startswith("-")]
    names += list(getattr(node, "commands", {}))
    whole = lambda name: re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", said)
    broken += [[*path, name] for name in names if not whole(name)]
    broken += [[*path, line] for line in said.splitlines() if len(line) > 80]
    words = set(re.findall(r"[^\s│╭╮╰╯─]+", said))
    helped = " ".join(p.help or "" for p in node.params).replace("\\[", "[")
    broken += [[*path, w] for w in re.findall(r"\S+", helped) if len(w) <= 26 and w not in words]
print(json.dumps([shown, broken]))
"""


def test_the_usage_names_arguments_as_the_help_texts_do_and_flags_take_no_value() -> None:
    german = help_output("verify")
    usage = next(line for line in german.splitlines() if "Aufruf:" in line)
    assert usage.split()[-3:] == ["verify", "[OPTIONEN]", "PAKET"]
    # "PAKET prüfen: …", not typer's {PAKET}, which reads as a set or a template to fill in
    assert "PAKET prüfen" in german and "BUNDLE" not in german
    assert "<bool>" not in german  # --json and --help take no value
    assert "BEFEHL [ARGUMENTE]..." in help_output("admin")
    assert "<Pfad>" in german and "<path>" not in german  # the kind of value, in German
    english = help_output("--lang", "en", "verify")
    assert "verify [OPTIONS] BUNDLE " in english and "<bool>" not in english
    assert "<path>" in english and "<Path>" not in english  # a word, not typer's type name


def test_no_help_text_speaks_of_internal_stage_numbers() -> None:
    """ "Stage 3b: audit …" told a user of a numbering nowhere else explained."""
    import re

    assert [text for text in help_texts() if re.match(r"Stage \d", text)] == []
    assert not re.search(r"Stufe \d", help_output("audit") + help_output())


def test_english_help_names_every_kind_of_value_by_a_word() -> None:
    """typer names the value of a parsed path by its Python type, `<Path>` (and a list of texts
    `<list[str]>`), where German help says <Pfad>, <Texte>: English says <path>, <texts>. Read
    from the whole command tree (in a process of its own: `command_in` sets typer's texts), so
    a new kind of value needs its English word too."""
    import json
    import re

    shown = json.loads(
        subprocess.run(
            [sys.executable, "-c", SHOWN_KINDS],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    assert "<path>" in shown
    assert [kind for kind in shown if not re.fullmatch(r"<[a-z]+>", kind)] == []


SHOWN_KINDS = """
import json, typer, typer.core
from gemeingut.cli.help_language import _nodes, command_in
command = command_in("en")
context = typer.Context(command)
print(json.dumps(sorted({
    node.display_type(context)
    for node in _nodes(command)
    if isinstance(node, typer.core.TyperArgument | typer.core.TyperOption)
    if not getattr(node, "is_flag", False)
})))
"""


def test_the_language_of_a_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "de")
    assert language_of(["--lang", "en", "serve"]) == "en"
    assert language_of(["--lang=en", "serve"]) == "en"
    assert language_of(["serve", "--lang", "xx"]) == "de"  # not a language: the environment's


def parse_error(*arguments: str) -> tuple[int, str]:
    env = {**os.environ, "TERMINAL_WIDTH": "200", "GEMEINGUT_LANG": "de"}
    done = subprocess.run(
        [sys.executable, "-m", "gemeingut.cli", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.returncode, " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["serve", "--prot", "1"],
            "Keine solche Option: --prot (mögliche Optionen: --host, --port)",
        ),
        (["serve", "--port", "abc"], "Ungültiger Wert für '--port': muss eine ganze Zahl sein"),
        (
            ["serve", "--max-waiting", "-1"],
            "Ungültiger Wert für '--max-waiting': muss mindestens 0",
        ),
        (["verify", ".", "--rerun", "-3"], "Ungültiger Wert für '--rerun': muss mindestens 0"),
        (["admin", "keys", "create"], "Die Option '--db' (Umgebungsvariable GEMEINGUT_DB) fehlt."),
        (["rag", "ingest"], "Das Argument 'NAME' fehlt."),
        (["servee"], "Kein Befehl „servee“. Meinten Sie „serve“?"),
        (["serve", "a", "b"], "Unerwartete zusätzliche Argumente: b"),
    ],
)
def test_a_command_line_typer_cannot_parse_is_said_in_german(
    arguments: list[str], said: str
) -> None:
    code, shown = parse_error(*arguments)
    assert code == 2 and said in shown, shown
    assert shown.startswith("Aufruf: python -m gemeingut.cli") and "Fehler" in shown


def test_a_parse_error_is_english_with_lang_en() -> None:
    code, shown = parse_error("--lang", "en", "serve", "--port", "abc")
    assert code == 2 and shown.startswith("Usage: python -m gemeingut.cli serve")
    assert "Invalid value for '--port': must be a whole number" in shown


def test_an_option_s_own_placeholder_is_in_the_language() -> None:
    """`serve --also [NAME=]PATH` showed its English placeholder in the German help."""
    assert "[NAME=]PFAD" in help_output("serve")
    assert "[NAME=]PATH" in help_output("--lang", "en", "serve")
