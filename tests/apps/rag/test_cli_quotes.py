"""The German messages of `rag` and `assist` quote names as German does („amt“), the English
ones as English does ('amt', “…”): one way of quoting, not Python's repr beside ‚…‘."""

from __future__ import annotations

import re
from pathlib import Path

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
