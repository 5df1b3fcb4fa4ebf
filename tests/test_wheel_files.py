"""A wheel built from the source holds every file the package reads at run time: the web page's
scripts and templates were missing from it (the page broke in a normal install, while the tests,
which run the source tree, passed). Built from a copy of the tracked files, as a release is."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_READ_AT_RUN_TIME = {"gemeingut/i18n/babel.cfg"}  # `make messages`' extraction settings
pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="the tracked files are known only in a git checkout"
)


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "pyproject.toml", "README.md", "LICENSE", "gemeingut"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return listed.stdout.split()


def test_the_wheel_holds_every_packaged_data_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for name in _tracked():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("gemeingut-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    data_files = {
        name for name in _tracked()
        if name.startswith("gemeingut/") and not name.endswith(".py")
    }  # fmt: skip
    missing = sorted(data_files - NOT_READ_AT_RUN_TIME - in_wheel)
    assert missing == [], f"not in the wheel: {missing}"
