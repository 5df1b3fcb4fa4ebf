"""`gemeingut model finetune --help` in an 80-column terminal showed no option's help at all:
the names of two flags with their `--no-…` twins took every column, and rich dropped the help.
Every option of the `model` and `tokenizer` commands shows its help there, its first word whole
(in a process of its own: `command_in` sets typer's texts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HELP_SHOWN = r"""
import contextlib, io, json
from gemeingut.cli.help_language import command_in
command = command_in("de")
unsaid, shown = [], 0
for group in ("model", "tokenizer"):
    for name, node in command.commands[group].commands.items():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            command.main([group, name, "--help"], prog_name="gemeingut", standalone_mode=False)
        said = " ".join(out.getvalue().replace("│", " ").split())
        for param in node.params:
            if getattr(param, "help", None):
                shown += 1
                first = param.help.split()[0]
                if first not in said:
                    unsaid.append([group, name, param.opts[0], first])
print(json.dumps([shown, unsaid]))
"""


def test_every_option_of_the_model_commands_shows_its_help_at_80_columns() -> None:
    env = {**os.environ, "COLUMNS": "80", "GEMEINGUT_LANG": "de"}
    env.pop("TERMINAL_WIDTH", None)  # typer's own setting would win over the terminal's
    done = subprocess.run(
        [sys.executable, "-c", HELP_SHOWN],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    shown, unsaid = json.loads(done.stdout)
    assert shown > 40  # every command of the groups, not one
    assert unsaid == []
