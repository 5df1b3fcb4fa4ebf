"""A reader that stops reading ends the command quietly, as it ends `cat` or `grep`.

`gemeingut openness rate X | head -1`: once `head` has its line, the pipe is closed and the
next write fails. typer then exited 1, rich (which prints most of our output) exited 1 too,
and what was still buffered, or Python's "Exception ignored … BrokenPipeError", went to stderr.
A tool killed by SIGPIPE ends with 141 in the shell and says nothing: so does gemeingut. Only
a closed pipe of the command's own output is meant; a server's closed connection is its own
`BrokenPipeError`, handled where it happens, and never reaches the command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import rich.console

CLOSED_PIPE_EXIT = 141  # 128 + SIGPIPE: what the shell reports for a tool the signal ended


def ended_by_closed_pipe(*_args: Any) -> NoReturn:
    """Nothing more can be said: the rest of the output, and any flush at exit, goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):  # not a file (a test's capture)
            continue
    raise SystemExit(CLOSED_PIPE_EXIT)


def quiet_on_closed_pipe(command: Any) -> Callable[[], Any]:
    """`command` that ends as `ended_by_closed_pipe` says where its output's reader is gone:
    rich's own handling (`Console.on_broken_pipe`, which exits 1) replaced, and a write of
    typer's (`typer.echo`) caught before typer turns it into exit 1."""
    rich.console.Console.on_broken_pipe = ended_by_closed_pipe  # type: ignore[method-assign]
    invoke = command.invoke

    def invoked(context: Any) -> Any:
        try:
            try:
                return invoke(context)
            finally:  # what is still buffered fails here, not in Python's flush at exit
                sys.stdout.flush()
        except BrokenPipeError:
            ended_by_closed_pipe()

    command.invoke = invoked
    return command
