import shutil
from pathlib import Path

import pytest

from gemeingut.release.signing import create_key
from tests.finetune_chain import evaluate, fine_tune_chain, release


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


@pytest.fixture(scope="session")
def released_chain(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """base → ft1 → ft2 (`tests/finetune_chain.py`), ft2 released: shared by the tests that
    only read it (or copy it first)."""
    chain = fine_tune_chain(tiny_build, tmp_path_factory.mktemp("chain"))
    evaluation = evaluate(tiny_build, chain["ft2"], chain["root"] / "eval2")
    result = release(tiny_build, chain["ft2"], evaluation, chain["root"] / "release")
    assert result.exit_code == 0, result.output
    return {**chain, "bundle": chain["root"] / "release" / "bundle"}


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two key pairs, "publisher" and "stranger", for the tests that sign and verify."""
    folder = tmp_path_factory.mktemp("keys")
    create_key("publisher", folder)
    create_key("stranger", folder)
    return folder
