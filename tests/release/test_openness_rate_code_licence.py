"""The licence of a folder's code is that of the code the folder holds: the folder's own
modules' for remote code, and none — not transformers' Apache-2.0, which the folder does not
hold — where it holds no code."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.release.openness.foreign import rate_folder
from tests.release.test_openness_rate import _folder


def _config(folder: Path, **changes: object) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(config | changes), encoding="utf-8")


def _code(folder: Path) -> tuple[str | None, list[str]]:
    """The code's licence and the files that evidence the model's architecture."""
    result = rate_folder(folder)
    architecture = next(c for c in result["mof"]["components"] if c["name"] == "Model architecture")
    return result["licenses"]["code"], architecture["evidence"]


def test_a_model_type_transformers_implements_is_no_code_in_the_folder(tmp_path: Path) -> None:
    # its architecture is transformers' (evidenced by config.json); the folder holds no code
    assert _code(_folder(tmp_path / "m", "mit")) == (None, ["config.json"])


def test_no_code_evidenced_is_no_code_licence(tmp_path: Path) -> None:
    unknown = _folder(tmp_path / "eigen", "mit")
    _config(unknown, model_type="eigenbau", architectures=["EigenbauForCausalLM"])
    assert _code(unknown) == (None, [])
    # remote code the config points at but the folder lacks: no code, so no licence of it
    remote = _folder(tmp_path / "fern", "mit")
    _config(remote, model_type="eigenbau", auto_map={"AutoModelForCausalLM": "eigen.Modell"})
    assert _code(remote) == (None, [])
    # with its module there, the code is the folder's, under the card's licence
    (remote / "eigen.py").write_text("class Modell:\n    pass\n", encoding="utf-8")
    assert _code(remote) == ("MIT", ["eigen.py"])
