"""The de/en catalogue: every message of the code has its German, placeholders match; German
is the default; English when the locale, --lang or Accept-Language asks for it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import gemeingut
from gemeingut.cli.help_language import help_texts
from gemeingut.i18n import (
    CATALOGUE,
    _,
    accepted_language,
    environment_language,
    plural,
    text,
    use_language,
)
from gemeingut.serve.openapi_language import openapi_texts
from tests.test_cli import invoke

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def code_messages() -> set[str]:
    """The code's messages and the document templates', as `make messages` extracts them."""
    package = Path(gemeingut.__file__).parent
    with (package / "i18n" / "babel.cfg").open() as mapping:
        method_map, options = parse_mapping_cfg(mapping)
    found = extract_from_dir(str(package), method_map, options_map=options, keywords={"_": None})
    # and the command line's help, and the API description's texts (`make messages` adds both)
    return {m[2] for m in found} | set(help_texts()) | set(openapi_texts())


def test_every_message_of_the_code_has_its_german_and_none_is_stale() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle) if m.id}
    used = code_messages()
    assert sorted(used - set(catalogue)) == [], "run `make messages` and translate"
    assert sorted(set(catalogue) - used) == [], "stale messages: run `make messages`"
    for msgid, message in catalogue.items():
        assert message.string and not message.fuzzy, f"no German for {msgid!r}"
        assert sorted(_PLACEHOLDER.findall(msgid)) == sorted(
            _PLACEHOLDER.findall(message.string)
        ), f"placeholders differ in {msgid!r}"


def test_every_message_in_the_code_is_one_the_extraction_finds() -> None:
    """Babel's extractor skips a `_()` nested in another `_()` call's arguments: such a message
    would never reach the catalogue and stay English in German output."""
    package = Path(gemeingut.__file__).parent
    written = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                written.add((node.args[0].value, f"{path.relative_to(package)}:{node.lineno}"))
    extracted = code_messages()
    assert [where for msgid, where in sorted(written) if msgid not in extracted] == []


@pytest.mark.parametrize(
    ("count", "german", "english"),
    [
        (0, "0 Dokumente", "0 documents"),
        (1, "1 Dokument", "1 document"),
        (2, "2 Dokumente", "2 documents"),
    ],
)
def test_a_count_of_one_takes_the_singular(count: int, german: str, english: str) -> None:
    said = plural(count, _("1 document"), _("{count} documents", count=count))
    assert (text(said, "de"), text(said, "en")) == (german, english)


def test_messages_are_german_by_default_and_english_on_request() -> None:
    message = _("no collection {name!r}", name="akten")
    assert text(message, "de") == "keine Sammlung „akten“"
    assert text(message, "en") == "no collection 'akten'"
    with use_language("en"):
        assert str(message) == "no collection 'akten'"
    assert text("a plain text stays", "de") == "a plain text stays"


def test_fractions_keep_their_digits_in_both_languages() -> None:
    message = _("peak learning rate {rate}", rate=0.0002)
    assert text(message, "de") == "peak learning rate 0,0002"
    assert text(message, "en") == "peak learning rate 0.0002"
    assert text(_("x {v}", v=2.5e-7), "de") == "x 2,5e-07"


def test_numbers_and_nested_messages_follow_the_language() -> None:
    who = _("group {name}", name="schule")
    message = _(
        "the limit '{limit}' of {who}: {rpm} requests per minute are used up",
        limit=_("requests per minute"),
        who=who,
        rpm=1500,
    )
    assert text(message, "de").startswith(
        "die Grenze „Anfragen pro Minute“ von Gruppe schule: 1.500 Anfragen pro Minute sind "
    )
    assert text(message, "en").startswith(
        "the limit 'requests per minute' of group schule: 1,500 requests per minute are used up"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "de"),
        ("", "de"),
        ("fr-FR", "de"),
        ("en-US,en;q=0.9", "en"),
        ("fr, en;q=0.5", "en"),
        ("de;q=0.1, en;q=0.9", "en"),
        ("en;q=0, de;q=0.5", "de"),
        ("en;q=zwei", "de"),
    ],
)
def test_accept_language_is_read_with_its_weights(header: str | None, expected: str) -> None:
    assert accepted_language(header) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "de"),
        ({"LANG": "C.UTF-8"}, "de"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_ALL": "de_DE.UTF-8"}, "de"),
        ({"LANG": "de_DE.UTF-8", "GEMEINGUT_LANG": "en"}, "en"),
    ],
)
def test_the_environment_chooses_english_only_when_it_says_so(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("GEMEINGUT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_language() == expected


def test_the_cli_speaks_german_unless_told_otherwise(tmp_path: Path) -> None:
    german = invoke("rag", "query", "fehlt", "Frage", "--root", tmp_path)
    assert german.exit_code == 2
    assert "Fehler: keine Sammlung „fehlt“" in german.output and "Hinweis:" in german.output
    english = invoke("--lang", "en", "rag", "query", "fehlt", "Frage", "--root", tmp_path)
    assert "error: no collection 'fehlt'" in english.output and "hint:" in english.output


def test_lang_holds_for_one_command_only(tmp_path: Path) -> None:
    invoke("--lang", "en", "rag", "list", "--root", tmp_path)
    assert text(_("no findings")) == "keine Befunde"


def test_a_number_beyond_a_decimal_is_written_as_python_writes_it() -> None:
    huge = 10**30
    assert text(_("group {name}", name=huge), "de") == f"Gruppe {huge}"


def test_an_unknown_language_is_refused_not_ignored(tmp_path: Path) -> None:
    refused = invoke("--lang", "fr", "rag", "list", "--root", tmp_path)
    assert refused.exit_code == 2 and "keine Sprache von gemeingut" in refused.output


def test_command_output_follows_the_language(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Die Frist beträgt dreißig Tage.", encoding="utf-8")
    invoke("rag", "ingest", "v", docs, "--root", tmp_path / "c")
    german = invoke("rag", "list", "--root", tmp_path / "c").output
    english = invoke("--lang", "en", "rag", "list", "--root", tmp_path / "c").output
    assert "v: Dokumente 1, Textabschnitte 1, Gruppen keine, Vektoren keine" in german
    assert "v: documents 1, chunks 1, groups none, vectors none" in english
