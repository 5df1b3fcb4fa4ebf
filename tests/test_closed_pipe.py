"""A command whose reader closes the pipe (`gemeingut … | head -1`) ends as `cat` does: exit
141 (the shell's code for SIGPIPE), nothing on stderr. Before, typer and rich exited 1 and
the rest of the output, or Python's "Exception ignored … BrokenPipeError", went to stderr.
The real entry point in a real process, its pipe closed before it writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TENDER = "Die Angebotsfrist beträgt 3 Tage. Zuschlag auf den niedrigsten Preis.\n" * 40


def closed_before_it_writes(*arguments: object, stderr_too: bool = False) -> tuple[int, str]:
    """The command's exit code and stderr, its stdout (with `stderr_too` its stderr as well, as
    `2>&1 | head` makes it) a pipe whose reader is gone before the command starts."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gemeingut.cli", *map(str, arguments)],
            stdout=write,
            stderr=write if stderr_too else subprocess.PIPE,
            env={**os.environ, "GEMEINGUT_LANG": "de"},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    return done.returncode, (done.stderr or b"").decode()


def test_help_into_a_closed_pipe_ends_quietly() -> None:
    code, said = closed_before_it_writes("--help")
    assert (code, said) == (141, "")


@pytest.mark.parametrize("as_json", [True, False])
def test_a_commands_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, as_json: bool) -> None:
    draft = tmp_path / "ausschreibung.md"
    draft.write_text(TENDER, encoding="utf-8")
    if as_json:  # typer.echo on stdout
        code, said = closed_before_it_writes("assist", "tender", draft, "--json")
        assert (code, said) == (141, "")
    else:  # rich's console on stderr, both into the closed pipe (2>&1)
        code, _ = closed_before_it_writes("assist", "tender", draft, stderr_too=True)
        assert code == 141
