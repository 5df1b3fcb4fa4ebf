import json
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.workspace import ARTIFACT_FILE, Workspace, at, load_artifact


def writer(calls: list[str], text: str = "hello"):
    def build(out: Path) -> dict:
        calls.append(str(out))
        (out / "file.txt").write_text(text)
        return {"chars": len(text)}

    return build


def test_finished_artifact_is_reused_not_rebuilt(tmp_path: Path) -> None:
    calls: list[str] = []
    ws = Workspace(tmp_path)
    first, reused_first = ws.produce("dataset", {"src": "sha256:1"}, {"a": 1}, writer(calls))
    second, reused_second = ws.produce("dataset", {"src": "sha256:1"}, {"a": 1}, writer(calls))
    assert (reused_first, reused_second) == (False, True)
    assert len(calls) == 1 and first.path == second.path and first.id == second.id
    meta = json.loads((first.path / ARTIFACT_FILE).read_text())
    assert meta["files"]["file.txt"].startswith("sha256:")
    assert meta["stats"] == {"chars": 5} and meta["inputs"] == {"src": "sha256:1"}
    assert meta["code"].startswith("gemeingut ") and "torch_threads" in meta["environment"]


def test_id_changes_with_inputs_and_parameters(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    base, _ = ws.produce("dataset", {"src": "1"}, {"a": 1}, writer([]))
    other_input, _ = ws.produce("dataset", {"src": "2"}, {"a": 1}, writer([]))
    other_param, _ = ws.produce("dataset", {"src": "1"}, {"a": 2}, writer([]))
    assert len({base.id, other_input.id, other_param.id}) == 3
    assert base.id.startswith("ds-")


def test_failed_build_leaves_no_artifact_and_next_run_starts_clean(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)

    def failing(out: Path) -> dict:
        (out / "half.txt").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        ws.produce("dataset", {}, {}, failing)
    assert not any(p.name.startswith("ds-") for p in (tmp_path / "dataset").iterdir())
    artifact, reused = ws.produce("dataset", {}, {}, writer([]))
    assert not reused and sorted(p.name for p in artifact.path.iterdir()) == [
        ARTIFACT_FILE,
        "file.txt",
    ]


def test_resumable_stage_finds_what_an_interrupted_run_left(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)

    def interrupted(out: Path) -> dict:
        (out / "checkpoint").write_text("step 10")
        raise KeyboardInterrupt

    def resumed(out: Path) -> dict:
        return {"found": (out / "checkpoint").read_text()}

    with pytest.raises(KeyboardInterrupt):
        ws.produce("model", {}, {}, interrupted, resumable=True)
    artifact, _ = ws.produce("model", {}, {}, resumed, resumable=True)
    assert artifact.stats == {"found": "step 10"}


def test_fixed_target_refuses_to_overwrite_a_different_artifact(tmp_path: Path) -> None:
    at(tmp_path / "out")("dataset", {}, {"a": 1}, writer([]))
    with pytest.raises(InputError, match="anderes Artefakt der Art dataset"):
        at(tmp_path / "out")("dataset", {}, {"a": 2}, writer([]))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("mine")
    with pytest.raises(InputError, match="ist kein Artefakt"):
        at(tmp_path / "busy")("dataset", {}, {}, writer([]))


OWN_KINDS = ("dataset", "tokenizer", "model", "evaluation")


def test_an_adapter_for_our_own_release_says_to_merge(tmp_path: Path) -> None:
    """`release --finetuned ADAPTER` beside our own pretraining: the fix, not the kind."""
    from tests.test_cli import invoke

    adapter, _ = at(tmp_path / "adapter")("adapter", {}, {}, writer([]))
    own = {kind: at(tmp_path / kind)(kind, {}, {}, writer([]))[0].path for kind in OWN_KINDS}
    said = invoke(
        "release",
        "--name",
        "demo",
        *(arg for kind, path in own.items() for arg in (f"--{kind}", path)),
        "--finetuned",
        adapter.path,
        "--out",
        tmp_path / "rel",
    )
    assert said.exit_code == 2, said.output
    assert "ist ein LoRA-Adapter" in said.stderr and "--merge" in said.stderr


def test_loading_the_wrong_kind_is_a_clear_error(tmp_path: Path) -> None:
    artifact, _ = at(tmp_path / "out")("dataset", {}, {}, writer([]))
    with pytest.raises(InputError, match="Artefakt der Stufe „Datensatz“, erwartet: „Modell“"):
        load_artifact(artifact.path, "model")
    with pytest.raises(InputError, match="kein gemeingut-Artefakt"):
        load_artifact(tmp_path, "model")


def test_a_missing_artifact_folder_is_said_missing(tmp_path: Path) -> None:
    """`--publication <typo>` said „kein gemeingut-Artefakt“ of a folder that is not there."""
    with pytest.raises(InputError, match="existiert nicht"):
        load_artifact(tmp_path / "nope", "publication")
