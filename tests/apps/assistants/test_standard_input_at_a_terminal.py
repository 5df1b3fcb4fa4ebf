"""`assist tender -` and `rag eval NAME -` at a terminal, nothing piped in, waited in silence: a
person saw a command that hung. At a terminal they now say on stderr what they read from
standard input and which keys end it, then read what is typed; piped in, they say nothing.
The terminal is a real pseudo-terminal, the command the checkout's CLI in its own process."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from gemeingut.cli.piped import end_keys
from gemeingut.i18n import text
from tests.apps.rag.documents import write_markdown
from tests.test_cli import invoke

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX's")

CLI = [sys.executable, "-m", "gemeingut.cli"]
DRAFT = b"Die Fenster sind vom Fabrikat Sch\xc3\xbcco."
# the locale's variables unset: the language a person gets who chose none
LOCALE = ("GEMEINGUT_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
WAIT_S = 120  # for the command to start and say its line; it fails the test, never times it


def _at_a_terminal(args: list[str], typed: bytes) -> tuple[str, str, str, int]:
    """(what the command said before reading, its stdout, the rest of its stderr, its exit
    code) where standard input is a pseudo-terminal at which `typed` is typed, then Ctrl-D."""
    env = {name: value for name, value in os.environ.items() if name not in LOCALE}
    main, terminal = os.openpty()
    try:
        with subprocess.Popen(
            [*CLI, *args], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        ) as process:
            assert process.stderr is not None
            before = b""
            while b"\n" not in before:  # its first line, said before it reads
                ready, _, _ = select.select([process.stderr], [], [], WAIT_S)
                if not ready:
                    process.kill()
                    pytest.fail(f"nothing said on stderr while it waits to read: {before!r}")
                chunk = os.read(process.stderr.fileno(), 4096)
                assert chunk, "stderr closed before the command read its input"
                before += chunk
            os.write(main, typed + b"\n\x04")  # Ctrl-D on a line of its own: the end
            out, err = process.communicate(timeout=WAIT_S)
            return before.decode(), out.decode(), err.decode(), process.returncode
    finally:
        os.close(main)
        os.close(terminal)


def test_tender_at_a_terminal_says_it_reads_the_draft_and_how_to_end_it() -> None:
    said, out, _err, code = _at_a_terminal(["assist", "tender", "-"], DRAFT)
    assert "Ausschreibungsentwurf wird von der Standardeingabe gelesen" in said, said
    assert "Eingabe mit Strg-D beenden" in said, said
    # what was typed is the draft, checked as one piped in
    assert code == 1 and "„Die Fenster sind vom Fabrikat Schüco.“" in out, out


def test_eval_at_a_terminal_says_it_reads_the_questions_in_english(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_markdown(docs / "hinweise.md")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "v", docs, "--root", root).exit_code == 0
    asked = {"question": "Gewichtung der Zuschlagskriterien", "document": "hinweise.md",
             "section": "Zuschlag"}  # fmt: skip
    said, out, err, code = _at_a_terminal(
        ["--lang", "en", "rag", "eval", "v", "-", "--root", str(root), "--json"],
        json.dumps(asked).encode(),
    )
    assert "Reading the questions from standard input" in said, said
    assert "end it with Ctrl-D." in said, said
    assert code == 0, err
    assert json.loads(out)[0]["questions"] == 1


def test_piped_in_nothing_is_said() -> None:
    """A pipe or a file is no person at a terminal: stderr stays for what goes wrong."""
    result = subprocess.run(
        [*CLI, "--lang", "de", "assist", "tender", "-"], input=DRAFT, capture_output=True
    )
    said = result.stderr.decode()
    assert result.returncode == 1 and "Standardeingabe gelesen" not in said, said


def test_windows_ends_input_with_ctrl_z_and_enter() -> None:
    assert text(end_keys("win32"), "de") == "Strg-Z, dann Eingabetaste"
    assert text(end_keys("linux"), "en") == "Ctrl-D"


def test_closed_standard_input_is_nothing_piped_in() -> None:
    """`assist tender - <&-`: Python has no sys.stdin, and reading it was a traceback
    (AttributeError); now it is a draft with no text, said as such."""
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *CLI, "--lang", "de", "assist", "tender", "-"],
        capture_output=True,
    )
    said = " ".join(result.stderr.decode().split())
    assert result.returncode == 2 and "Standardeingabe: kein Text gefunden" in said, said
    assert "Traceback" not in said, said
