"""An option given without its value is said in the reader's language, as every other line
typer cannot parse (`cli/usage_errors.py`), not in click's English."""

from __future__ import annotations

from tests.test_cli_help import parse_error


def test_an_option_without_its_value_is_said_in_german() -> None:
    code, shown = parse_error("verify", ".", "--rerun")
    assert code == 2, shown
    assert "Die Option „--rerun“ braucht einen Wert: schreiben Sie ihn hinter die Option" in shown
    assert "requires an argument" not in shown


def test_an_option_without_its_value_is_said_in_english_with_lang_en() -> None:
    code, shown = parse_error("--lang", "en", "verify", ".", "--rerun")
    assert code == 2 and "Option '--rerun' requires a value: write it after the option" in shown


def test_lang_after_the_command_says_where_it_belongs() -> None:
    """`--lang` is `gemeingut`'s own option: after the command typer knows it nowhere, and
    „No such option: --lang“ left a tester to guess; said in the language it asked for."""
    code, shown = parse_error("admin", "audit", "records", "--lang", "en")
    assert code == 2, shown
    assert "give it before the command, e.g. gemeingut --lang en admin audit records" in shown
    code, shown = parse_error("admin", "audit", "records", "--lang=de")
    assert code == 2 and "geben Sie sie vor dem Befehl an, z. B. gemeingut --lang en admin" in shown
