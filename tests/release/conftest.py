import shutil
from pathlib import Path

import pytest


@pytest.fixture
def bundle(tiny_build, tmp_path: Path) -> Path:
    """A private copy of the tiny build's release bundle, free to damage."""
    copy = tmp_path / "bundle"
    shutil.copytree(Path(tiny_build["release"]["path"]) / "bundle", copy)
    return copy
