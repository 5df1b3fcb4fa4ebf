"""The German messages of `rag` and `assist` quote names as German does („amt“), the English
ones as English does ('amt', “…”): one way of quoting, not Python's repr beside ‚…‘."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import gemeingut
from gemeingut.i18n import quoted, text, translations
from tests.test_cli import invoke

PACKAGE = Path(gemeingut.__file__).parent
# The modules whose messages `gemeingut rag` and `gemeingut assist` say.
MODULES = [
    *sorted((PACKAGE / "apps" / "rag").glob("*.py")),
    *sorted((PACKAGE / "apps" / "assistants").glob("*.py")),
    PACKAGE / "cli" / "rag.py",
    PACKAGE / "cli" / "assist.py",
]
LEFT = {"uploads.py"}  # a file name shown with its control characters (repr), server only


def messages(path: Path) -> list[str]:
    from babel.messages.extract import extract_from_file

    return [
        m if isinstance(m, str) else m[0]
        for _line, m, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_": None}
        )
        if m
    ]


def test_the_german_messages_of_rag_and_assist_quote_in_german() -> None:
    german = translations("de")
    wrong = [
        (path.name, msgid)
        for path in MODULES
        if path.name not in LEFT
        for msgid in messages(path)
        if "!r}" in msgid or re.search(r"[‚‘]|'\{\w+\}'", german.get(msgid, ""))
    ]
    assert wrong == []


def test_a_missing_collection_is_named_in_each_language_s_quotes(tmp_path: Path) -> None:
    german = invoke("rag", "query", "fehlt", "Frage", "--root", tmp_path)
    assert german.exit_code == 2 and "keine Sammlung „fehlt“" in german.output
    english = invoke("--lang", "en", "rag", "query", "fehlt", "Frage", "--root", tmp_path)
    assert english.exit_code == 2 and "no collection 'fehlt'" in english.output


def test_several_names_are_quoted_one_by_one() -> None:
    names = quoted(["akten/a.pdf", "b.md"])
    assert text(names, "de") == "„akten/a.pdf“, „b.md“"
    assert text(names, "en") == "'akten/a.pdf', 'b.md'"


def test_the_tender_check_quotes_the_passage_as_the_language_does(tmp_path: Path) -> None:
    draft = tmp_path / "entwurf.md"
    draft.write_text("# Reinigung\n\nZu verwenden ist Papier der Marke Tork.\n", encoding="utf-8")
    german = invoke("assist", "tender", draft)
    assert "„Zu verwenden ist Papier der Marke Tork.“" in german.output
    english = invoke("--lang", "en", "assist", "tender", draft)
    assert "“Zu verwenden ist Papier der Marke Tork.”" in english.output


ESCAPE = "\x1b[2J"  # clears a terminal: typed by mistake, or pasted on purpose


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("rag", "query", f"a{ESCAPE}", "Frage"), "„a\\x1b[2J“ ist kein Sammlungsname"),
        (("rag", "query", "akten", "Frage", "--mode", f"b{ESCAPE}"), "--mode „b\\x1b[2J“"),
        (("rag", "query", "akten", "Frage", "--language", f"d{ESCAPE}"), "„d\\x1b[2J“ ist"),
        (("rag", "ingest", "neu", "DOCS", "--language", f"d{ESCAPE}"), "--language „d\\x1b[2J“"),
        (("rag", "remove", "akten", f"x{ESCAPE}"), "kein Dokument „x\\x1b[2J“"),
        (("rag", "groups", "akten", "--remove", f"g{ESCAPE}"), "keine Gruppe „g\\x1b[2J“"),
    ],
)
def test_a_typed_name_is_quoted_with_its_control_characters_visible(
    tmp_path: Path, args: tuple[str, ...], shown: str
) -> None:
    """Quoted in German, not by repr, a typed name still reaches the terminal only as
    characters a reader sees: an escape sequence in it is written out, never run."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Die Hundesteuer beträgt 120 Euro.", encoding="utf-8")
    assert invoke("rag", "ingest", "akten", docs, "--root", tmp_path / "c").exit_code == 0
    args = tuple(str(docs) if a == "DOCS" else a for a in args)
    result = invoke(*args, "--root", tmp_path / "c")
    assert result.exit_code != 0
    assert ESCAPE not in result.output
    assert shown in " ".join(result.output.split())


def test_names_in_a_list_are_quoted_with_their_control_characters_visible() -> None:
    assert text(quoted(["a\x1b[2J", "b\n"]), "de") == "„a\\x1b[2J“, „b\\n“"
