"""The applications use the serve stage's tiny model (a real, random Llama on disk), and a
copy of it whose context holds instructions and several sources (RoPE has no learned
positions, so the copy only changes `max_position_embeddings`)."""

import json
import shutil
from pathlib import Path

import pytest

from tests.serve.conftest import model_dir  # noqa: F401  (a fixture, shared)


@pytest.fixture(scope="session")
def long_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("long") / "winzig-lang"
    shutil.copytree(model_dir, out)
    config = json.loads((out / "config.json").read_text())
    config["max_position_embeddings"] = 4096
    (out / "config.json").write_text(json.dumps(config))
    return out
