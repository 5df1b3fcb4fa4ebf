"""A policy file that cannot be used is said in German, also where Python's own words were
English: a file that is missing, a folder or in a missing folder (said as every command says
it), a regular expression that does not compile (what is wrong, and at which character), and
for an unknown field the fields of that rule's kind, not of every kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.policy import KIND_FIELDS, RULE_FIELDS, Policy, Rule

HEAD = "id: amt\nversion: '1'\ntitle: {de: Amt, en: Office}\nrules:\n"


def regex_rule(pattern: str, extra: str = "") -> str:
    return (
        "  - id: vs\n    kind: regex\n    action: refuse\n"
        f"    pattern: '{pattern}'\n{extra}    text: {{de: a, en: b}}\n"
    )


def refused(path: Path | str) -> tuple[str, str]:
    with pytest.raises(InputError) as error:
        Policy.load(path)
    return text(error.value.message), text(error.value.hint or "")


def written(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_a_missing_policy_file_is_said_in_german_through_the_cli(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    result = CliRunner().invoke(app, ["serve", str(model), "--policy", "nix.yaml"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "die Richtlinie lässt sich nicht lesen: nix.yaml existiert nicht" in said
    assert "Errno" not in said and "No such file" not in said


def test_a_folder_or_a_missing_folder_is_said_in_german(tmp_path: Path) -> None:
    message, hint = refused(tmp_path)
    folder = f"{tmp_path} ist ein Ordner, hier ist aber eine Datei nötig"
    assert message == f"die Richtlinie lässt sich nicht lesen: {folder}"
    message, hint = refused(tmp_path / "fehlt" / "policy.yaml")
    assert f"der Ordner {tmp_path / 'fehlt'} existiert nicht" in message
    assert "Errno" not in message + hint


def test_a_pattern_that_does_not_compile_is_said_with_its_character(tmp_path: Path) -> None:
    message, _hint = refused(written(tmp_path, regex_rule("VS-NfD(")))
    assert "Regel 1 (vs)" in message
    assert (
        "pattern ist kein gültiger regulärer Ausdruck: an Stelle 7: eine hier geöffnete Gruppe "
        "wird nie geschlossen: es fehlt eine schließende Klammer „)“"
    ) in message
    assert "missing" not in message and "position" not in message


@pytest.mark.parametrize(
    "pattern",
    ["a)", "[abc", "*a", "a**", "a{3,1}", "\\q", "[z-a]", "(?<=a+)b", "a(?i)", "(?P=x)", "\\5",
     "(?P<1>x)", "(?Xa)", "(?P<a", "\\x4"],
)  # fmt: skip
def test_every_common_regex_mistake_is_said_in_german(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(re.error) as compiled:
        re.compile(pattern)
    message, _hint = refused(written(tmp_path, regex_rule(pattern)))
    assert compiled.value.msg not in message, message  # not Python's English
    assert "pattern ist kein gültiger regulärer Ausdruck: " in message


def test_an_unknown_field_lists_the_fields_of_its_rules_kind(tmp_path: Path) -> None:
    bad = regex_rule("AZ-\\d+").replace("pattern:", "patterns:")
    _message, hint = refused(written(tmp_path, bad))
    assert hint == "erlaubte Felder: id, kind, action, title, text, pattern, case_sensitive"
    keywords = "  - id: w\n    kind: keywords\n    action: refuse\n    words: [a]\n"
    _message, hint = refused(
        written(tmp_path, keywords + "    word: x\n    text: {de: a, en: b}\n")
    )
    assert hint == "erlaubte Felder: id, kind, action, title, text, words"


@pytest.mark.parametrize(
    ("extra", "field", "kind"),
    [("    words: [a]\n", "words", "keywords"), ("    types: [email]\n", "types", "pii"),
     ("    labels: [X]\n", "labels", "classifier")],
)  # fmt: skip
def test_a_field_of_another_kind_is_refused(
    tmp_path: Path, extra: str, field: str, kind: str
) -> None:
    message, _hint = refused(written(tmp_path, regex_rule("AZ-\\d+", extra)))
    assert f"`{field}` gilt nur für {kind}-Regeln" in message


def test_the_kinds_fields_are_every_field_of_a_rule() -> None:
    kinds = [field for fields in KIND_FIELDS.values() for field in fields]
    assert sorted([*RULE_FIELDS, *kinds]) == sorted(Rule.model_fields)
    assert len(kinds) == len(set(kinds))
