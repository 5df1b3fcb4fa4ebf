"""`serve PATH --also [NAME=]PATH`: a model beside the first is named as the first one is (a
release by the model name its recipe declared, not by its folder, which for a release's bundle
is always `bundle`), or by the NAME given; two of one name are refused before any model loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

runner = CliRunner()


def release(root: Path, model: Path, name: str | None) -> Path:
    """A release artifact (`bundle/model/` and, where `name`, the artifact.json that declares
    its model name) holding a copy of `model`; the bundle folder."""
    shutil.copytree(model, root / "bundle" / "model")
    if name is not None:
        meta = {"kind": "release", "id": root.name, "params": {"model_name": name}}
        (root / "artifact.json").write_text(json.dumps(meta), encoding="utf-8")
    return root / "bundle"


def said(result) -> str:
    return " ".join(result.output.split())


def test_also_names_each_release_as_it_declared_or_as_told(model_dir: Path, tmp_path: Path) -> None:
    gemma = release(tmp_path / "gemma-merged", model_dir, "uni-gemma-merged")
    olmo = release(tmp_path / "olmo2-merged", model_dir, None)
    mistral = release(tmp_path / "mistral-merged", model_dir, "uni-mistral-merged").parent
    # Spaces around NAME and PATH (a quoted value) are not part of them.
    named = f" amtsmodell = {release(tmp_path / 'zweite', model_dir, 'uni-gemma-merged')} "
    also = ["--also", str(gemma), "--also", str(olmo), "--also", str(mistral), "--also", named]
    with serving_process(str(model_dir), MODEL_NAME, *also) as url:
        listed = [m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]]
        body = {"model": "amtsmodell", "prompt": "Hallo", "max_tokens": 2}
        answer = httpx.post(f"{url}/v1/completions", json=body).json()
    assert listed == [
        MODEL_NAME,
        "uni-gemma-merged",
        "olmo2-merged",
        "uni-mistral-merged",
        "amtsmodell",
    ]
    assert answer["model"] == "amtsmodell"


@pytest.fixture
def unloadable(tmp_path: Path) -> Path:
    """A folder `serve` takes for a model but cannot load: a refusal with it came before any
    model loaded."""
    folder = tmp_path / "kaputt"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_two_models_of_one_name_are_refused_before_any_loads(
    unloadable: Path, tmp_path: Path
) -> None:
    first = release(tmp_path / "rel-a", unloadable, "uni-qwen")
    second = release(tmp_path / "rel-b", unloadable, "uni-qwen")
    refused = runner.invoke(
        app, ["serve", str(unloadable), "--also", str(first), "--also", str(second)]
    )
    assert refused.exit_code == 2, refused.output
    assert "zwei Modelle heißen „uni-qwen“" in said(refused)
    assert "--also NAME=PATH" in said(refused)
    as_first = runner.invoke(app, ["serve", str(unloadable), "--also", f"kaputt={first}"])
    assert as_first.exit_code == 2 and "zwei Modelle heißen „kaputt“" in said(as_first)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=rel", "--also „=rel“: erwartet wird PATH oder NAME=PATH"),
        ("name=", "--also „name=“: erwartet wird PATH oder NAME=PATH"),
        ("modell=v2", "--also modell=v2: v2 existiert nicht"),
        (" = rel", "--also „ = rel“: erwartet wird PATH oder NAME=PATH"),
        ("name = ", "--also „name = “: erwartet wird PATH oder NAME=PATH"),
        ("", "--also nennt kein Modell: erwartet wird PATH oder NAME=PATH"),
        ("  ", "--also nennt kein Modell: erwartet wird PATH oder NAME=PATH"),
    ],
)
def test_a_bad_also_value_is_refused_before_any_model_loads(
    unloadable: Path, value: str, expected: str
) -> None:
    refused = runner.invoke(app, ["serve", str(unloadable), "--also", value])
    assert refused.exit_code == 2, refused.output
    assert expected in said(refused)


def test_a_folder_whose_name_holds_an_equals_sign_is_written_with_its_path(
    unloadable: Path, tmp_path: Path
) -> None:
    """`--also modell=v2` names a model; `./modell=v2` (or any path with a `/`) is a folder."""
    folder = release(tmp_path / "modell=v2", unloadable, None).parent
    refused = runner.invoke(app, ["serve", str(unloadable), "--also", "modell=v2"])
    assert "./modell=v2" in said(refused)
    taken = runner.invoke(
        app, ["serve", str(unloadable), "--also", str(folder), "--also", str(folder)]
    )
    assert "zwei Modelle heißen „modell=v2“" in said(taken)


def test_spaces_around_a_name_make_no_other_name(unloadable: Path, tmp_path: Path) -> None:
    """`--also " kaputt = PATH"` names the model `kaputt`: the first one's name already."""
    other = release(tmp_path / "rel-a", unloadable, None)
    first = runner.invoke(app, ["serve", str(unloadable), "--also", f" kaputt = {other}"])
    assert first.exit_code == 2 and "zwei Modelle heißen „kaputt“" in said(first), first.output
    both = ["--also", f"klein={other}", "--also", f"  klein ={other}"]
    twice = runner.invoke(app, ["serve", str(unloadable), *both])
    assert twice.exit_code == 2 and "zwei Modelle heißen „klein“" in said(twice), twice.output


@pytest.mark.parametrize(
    ("name", "shown"),
    [("a\tb", "„a\\tb“"), ("amt\x1b[31m", "„amt\\x1b[31m“"), ("\udcff", "„\\udcff“")],
)
def test_a_name_no_client_can_send_is_refused(unloadable: Path, name: str, shown: str) -> None:
    """A control character, or a lone surrogate (a command line that is not UTF-8), is no
    `model` a client can send: the model could never be asked."""
    refused = runner.invoke(app, ["serve", str(unloadable), "--also", f"{name}={unloadable}"])
    assert refused.exit_code == 2, refused.output
    assert f"--also: der Modellname {shown} enthält ein Steuerzeichen" in said(refused)
    assert "Traceback" not in refused.output
