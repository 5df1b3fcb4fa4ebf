"""`gemeingut serve PATH` finds the model in a model directory, a bundle or a release artifact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.serve.runner import default_model_name, resolve_model_dir, run_server


def make_model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def test_a_model_directory_is_served_as_it_is(tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "my-model")
    assert resolve_model_dir(model) == model.resolve()
    assert default_model_name(model) == "my-model"


def test_a_release_bundle_serves_its_model_folder(tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "gemeingut-klein-0.1" / "model")
    assert resolve_model_dir(tmp_path / "gemeingut-klein-0.1") == model.resolve()
    assert default_model_name(tmp_path / "gemeingut-klein-0.1") == "gemeingut-klein-0.1"


def test_a_release_artifact_serves_its_bundled_model(tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "rel-3f2a" / "bundle" / "model")
    assert resolve_model_dir(tmp_path / "rel-3f2a") == model.resolve()
    assert default_model_name(model) == "rel-3f2a", "named after the release, not 'model'"


def test_a_release_artifact_is_named_as_its_recipe_declared(tmp_path: Path) -> None:
    release = tmp_path / "release-3f2a"
    make_model_dir(release / "bundle" / "model")
    meta = {"kind": "release", "id": "release-3f2a", "params": {"model_name": "gemeingut-klein"}}
    (release / "artifact.json").write_text(json.dumps(meta))
    assert default_model_name(release) == "gemeingut-klein"
    assert default_model_name(release / "bundle") == "gemeingut-klein"


def test_a_directory_without_a_model_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no model here")
    with pytest.raises(InputError) as raised:
        resolve_model_dir(tmp_path / "notes")
    assert str(tmp_path / "notes") in str(raised.value.message)
    assert "bundle/model/config.json" in str(raised.value.hint)


def test_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="existiert nicht"):
        resolve_model_dir(tmp_path / "nowhere")


def test_run_server_refuses_a_wrong_path_before_loading_anything(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        run_server(tmp_path)
