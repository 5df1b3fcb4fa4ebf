"""In a pipe or a log, the CLI's lines stay whole: rich broke them at 80 columns, so a key's
fingerprint and a file's path landed on lines of their own, apart from what they belong to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def gemeingut(*arguments: str) -> list[str]:
    """The lines the command writes (stdout and stderr) when piped, German."""
    env = {**os.environ, "GEMEINGUT_LANG": "de", "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "gemeingut.cli", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return (done.stdout + done.stderr).splitlines()


def test_a_new_key_and_the_key_list_are_one_line_each_in_a_pipe(tmp_path: Path) -> None:
    name = "release-2026-fuer-die-schulverwaltung"
    created = gemeingut("keys", "create", name, "--dir", str(tmp_path))
    assert len(created) == 3, created
    assert created[0].startswith(f"✓ {name}: SHA256:")
    assert created[1].endswith(str(tmp_path / f"{name}.key"))
    assert created[2].endswith(str(tmp_path / f"{name}.pub"))
    listed = gemeingut("keys", "list", "--dir", str(tmp_path))
    assert listed == [line for line in listed if line.startswith(name)] and len(listed) == 1
    assert "privat + öffentlich" in listed[0]
