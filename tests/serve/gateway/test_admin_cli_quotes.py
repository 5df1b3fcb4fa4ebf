"""The German messages of `gemeingut admin` quote names as German does („anna“), the English ones
as English does ('anna'); a name's control characters stay visible (\\x1b), as Python's repr
showed them, without repr's English quotes."""

from __future__ import annotations

import re
from pathlib import Path

import gemeingut
from gemeingut.i18n import translations
from gemeingut.i18n.visible import visible
from tests.apps.rag.test_cli_quotes import messages
from tests.test_cli import invoke

PACKAGE = Path(gemeingut.__file__).parent
GATEWAY = PACKAGE / "serve" / "gateway"
# The modules whose messages `gemeingut admin` says: its commands, and the gateway's parts they
# call (users, groups, keys, quotas, audit, content, retention, records of processing).
MODULES = [
    *sorted((PACKAGE / "cli" / "admin").glob("*.py")),
    *(
        GATEWAY / name
        for name in (
            "identity.py",
            "quotas.py",
            "audit_log.py",
            "content_log.py",
            "retention.py",
            "records.py",
            "records_text.py",
            "store.py",
        )
    ),
]


def test_the_german_messages_of_admin_quote_in_german() -> None:
    german = translations("de")
    wrong = [
        (path.name, msgid)
        for path in MODULES
        for msgid in messages(path)
        if "!r}" in msgid or re.search(r"[‚‘]|'\{\w+\}'", german.get(msgid, ""))
    ]
    assert wrong == []
    quoting = [
        msgid for path in MODULES for msgid in messages(path) if re.search(r"'\{\w+}'", msgid)
    ]
    assert len(quoting) >= 15  # the messages that name what an operator typed
    assert [m for m in quoting if "„{" not in german.get(m, "")] == []


def test_a_missing_user_is_named_in_each_language_s_quotes(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert invoke("admin", "users", "add", "anna", "--db", db).exit_code == 0
    german = invoke("admin", "keys", "create", "--user", "zoe", "--db", db)
    assert german.exit_code == 2 and "keine Person „zoe“" in german.output, german.output
    english = invoke("--lang", "en", "admin", "keys", "create", "--user", "zoe", "--db", db)
    assert english.exit_code == 2 and "no user 'zoe'" in english.output, english.output
    assert "Traceback" not in german.output + english.output


def test_control_characters_in_a_name_stay_visible(tmp_path: Path) -> None:
    """A name pasted with a terminal escape (or a right-to-left override, which turns the text
    after it around) is shown with its escapes, not run by the terminal."""
    db = tmp_path / "gateway.db"
    assert invoke("admin", "users", "add", "anna", "--db", db).exit_code == 0
    missing = invoke("admin", "keys", "list", "--user", "an\x1b[31mna", "--db", db)
    assert missing.exit_code == 2 and "keine Person „an\\x1b[31mna“" in missing.output
    assert "\x1b" not in missing.output
    refused = invoke("--lang", "en", "admin", "groups", "add", "amt\x01", "--db", db)
    assert refused.exit_code == 2 and "'amt\\x01' contains a control character" in refused.output
    turned = invoke("admin", "groups", "add", "amt\u202eb", "--db", db)  # not a control character
    assert turned.exit_code == 0
    twice = invoke("admin", "groups", "add", "amt\u202eb", "--db", db)
    assert twice.exit_code == 2 and "Gruppe „amt\\u202eb“ gibt es schon" in twice.output


def test_visible_escapes_what_repr_escapes_and_nothing_else() -> None:
    for name in (
        "Jürgen Müller",
        "a\tb\n",
        "x\x1b[0m",
        "\u202eabc",
        "a\u00a0b",
        "\ud800",
        "ab\x7f",
    ):
        assert visible(name) == repr(name)[1:-1], name
    assert visible("O'Brien") == "O'Brien"  # repr would switch to double quotes
