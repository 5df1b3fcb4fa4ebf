import shutil
from pathlib import Path

import pytest


@pytest.fixture
def bundle(tiny_build, tmp_path: Path) -> Path:
    """A private copy of the tiny build's release bundle, free to damage."""
    copy = tmp_path / "bundle"
    shutil.copytree(Path(tiny_build["release"]["path"]) / "bundle", copy)
    return copy


@pytest.fixture
def hub_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No network, and a Hub cache of the test's own (huggingface_hub reads its variables
    once), for tests that rate folders which name Hub bases."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
