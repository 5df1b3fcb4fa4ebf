"""The help's placeholders and numbers follow the language: German help said `{FOLDER}` and
"[Standard: 16.0]" beside German texts; it says `ORDNER` (and ORDNER in the command's own
text, which names it) and "[Standard: 16,0]". English says FOLDER, without the braces typer adds."""

from __future__ import annotations

from tests.test_cli_help import help_output


def test_german_help_names_arguments_and_writes_numbers_in_german() -> None:
    rate = help_output("openness", "rate")
    assert "[OPTIONEN] ORDNER" in rate and "ORDNER bewerten" in rate, rate
    assert "FOLDER" not in rate
    serve = help_output("serve")
    assert "[x>=0,001]" in serve and "[Standard: 4,0]" in serve, serve
    assert "[Standard: 127.0.0.1]" in serve  # a host is no number
    finetune = " ".join(help_output("model", "finetune").split())
    assert "[Standard: 16,0]" in finetune and "[Standard: 0,05]" in finetune
    assert "Standard: 0,1." in help_output("data", "curate")  # written in a help text


def test_english_help_is_as_typer_writes_it() -> None:
    rate = help_output("--lang", "en", "openness", "rate")
    assert "[OPTIONS] FOLDER" in rate and "Rate FOLDER" in rate
    assert "[default: 4.0]" in help_output("--lang", "en", "serve")
