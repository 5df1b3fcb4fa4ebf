"""The admin commands of the README and the operator's guide work as written, in their order: a
new user copies them (the README's `users add anna --group schule` failed while its block did
not create the group first)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app

ROOT = Path(__file__).parents[1]


def admin_commands(document: str, section: str) -> list[list[str]]:
    """The `gemeingut admin users|groups|keys|quotas …` lines of the first bash block under the
    heading `section` of `document`, as arguments (comments dropped)."""
    text = (ROOT / document).read_text(encoding="utf-8").split(f"## {section}\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1)
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [
        words[1:]
        for words in lines
        if words[:2] == ["gemeingut", "admin"] and words[2] in {"users", "groups", "keys", "quotas"}
    ]


@pytest.mark.parametrize(
    ("document", "section"),
    [("README.md", "Serving many users"), ("docs/operating.md", "Users, keys, quotas")],
)
def test_the_admin_commands_run_as_written(
    document: str, section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = admin_commands(document, section)
    assert len(commands) >= 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GEMEINGUT_DB", "gateway.db")  # as the block exports it
    for arguments in commands:
        done = CliRunner().invoke(app, arguments)
        assert done.exit_code == 0, (arguments, done.output)
