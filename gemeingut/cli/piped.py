"""What a command reads for `-`: standard input, as Unix tools read it. Where nothing is piped
in and standard input is the terminal, a command that just read would wait in silence; so it
first says on stderr what it reads and which keys end the input, then reads what is typed."""

from __future__ import annotations

import sys

from gemeingut.cli.common import say
from gemeingut.i18n import Message, _


def read_standard_input(what: Message) -> bytes:
    """Standard input's bytes; at a terminal, `what` (the draft, the questions) is said first,
    with the keys that end the input; closed (`<&-`), none."""
    if sys.stdin is None:  # Python's way of saying so: a command then says that nothing came
        return b""
    if sys.stdin.isatty():
        say("[blue]i[/]", _("{what}; end it with {keys}.", what=what, keys=end_keys(sys.platform)))
    return sys.stdin.buffer.read()


def end_keys(platform: str) -> Message:
    """The keys that end input typed at a terminal: Ctrl-Z and Enter in Windows' console,
    Ctrl-D elsewhere."""
    return _("Ctrl-Z, then Enter") if platform == "win32" else _("Ctrl-D")
