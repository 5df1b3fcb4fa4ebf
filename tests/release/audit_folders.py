"""What the tests of audit folders share: a private copy of the tiny build's audit, as
`gemeingut audit run --out` leaves it, and the CLI called in-process."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app


def audit_copy(tiny_build: dict, tmp_path: Path) -> Path:
    copy = tmp_path / "audit1"
    shutil.copytree(Path(tiny_build["audit"]["path"]), copy)
    return copy


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])
