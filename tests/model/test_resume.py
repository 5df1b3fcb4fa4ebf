"""A crash loses at most the steps since the last checkpoint, and the resumed run repeats the
loss curve of an uninterrupted one bit for bit (CPU, one process, one thread)."""

import json
from pathlib import Path

import pytest

import gemeingut.model.pretrain as pretrain_module
from gemeingut.model.checkpoints import INDEX_FILE
from gemeingut.model.pretrain import CHECKPOINT_DIR, LOG_FILE
from gemeingut.model.training_log import StepRecords
from gemeingut.recipe import ModelSection, TrainingSection
from gemeingut.stages import pretrain_stage
from gemeingut.workspace import at, load_artifact
from tests.model.crash import kill_after_checkpoint

SECTION = ModelSection(
    preset="micro",
    training=TrainingSection(
        steps=20,
        batch_size=4,
        seq_len=32,
        eval_every=5,
        eval_batches=2,
        checkpoint_every=5,
        keep_checkpoints=2,
        warmup_steps=2,
        seed=3,
        device="cpu",
    ),
)
# Trains SECTION in a child process, slowed down (without changing any number) so that the
# parent can kill it between two checkpoints.
CHILD = """
import json, sys, time
from pathlib import Path
import gemeingut.model.pretrain as pretrain_module
from gemeingut.recipe import ModelSection
from gemeingut.stages import pretrain_stage
from gemeingut.workspace import at, load_artifact

dataset, tokenizer, out, section = sys.argv[1:5]
real_step = pretrain_module._train_step

def slow_step(*args, **kwargs):
    time.sleep(0.15)
    return real_step(*args, **kwargs)

pretrain_module._train_step = slow_step
pretrain_stage(at(Path(out)), load_artifact(Path(dataset)), load_artifact(Path(tokenizer)),
               ModelSection.model_validate_json(section))
"""


def log_losses(folder: Path) -> list[tuple[int, float | None, float | None]]:
    records = [json.loads(line) for line in (folder / LOG_FILE).read_text().splitlines()]
    return [(r["step"], r.get("loss"), r.get("val_loss")) for r in records]


@pytest.fixture(scope="module")
def uninterrupted(tiny_build, tmp_path_factory: pytest.TempPathFactory):
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    model, _ = pretrain_stage(
        at(tmp_path_factory.mktemp("resume") / "a"), dataset, tokenizer, SECTION
    )
    return dataset, tokenizer, model


def test_resume_after_an_exception_repeats_the_same_loss_curve(
    uninterrupted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset, tokenizer, model = uninterrupted
    real_step = pretrain_module._train_step
    calls = {"n": 0}

    def crash_at_step_13(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 13:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(pretrain_module, "_train_step", crash_at_step_13)
    with pytest.raises(KeyboardInterrupt):
        pretrain_stage(at(tmp_path / "b"), dataset, tokenizer, SECTION)
    monkeypatch.setattr(pretrain_module, "_train_step", real_step)
    shown: list[float] = []  # the validation loss each step's progress line shows
    real_add = StepRecords.add
    monkeypatch.setattr(
        StepRecords, "add", lambda self, *a: shown.append(a[-1]) or real_add(self, *a)
    )
    resumed, _ = pretrain_stage(at(tmp_path / "b"), dataset, tokenizer, SECTION)
    assert resumed.stats["resumed_from_step"] == 10
    assert log_losses(resumed.path) == log_losses(model.path)
    # the line after resuming goes on from step 10's validation, not step 0's (a tester saw
    # „Validierung 6,961“ at step 112 of 160, the loss before any training)
    at_step = {step: val for step, _loss, val in log_losses(model.path) if val is not None}
    assert shown[0] == at_step[10] != at_step[0]
    assert (resumed.path / "data_order" / "steps.jsonl").read_text() == (
        model.path / "data_order" / "steps.jsonl"
    ).read_text()


def test_resume_after_kill_9_repeats_the_same_loss_curve(uninterrupted, tmp_path: Path) -> None:
    dataset, tokenizer, model = uninterrupted
    target = tmp_path / "b"
    args = [str(dataset.path), str(tokenizer.path), str(target), SECTION.model_dump_json()]
    killed_after = kill_after_checkpoint(CHILD, args, tmp_path, at_least=10)
    assert not (target / "artifact.json").exists()
    resumed, _ = pretrain_stage(at(target), dataset, tokenizer, SECTION)
    assert resumed.stats["resumed_from_step"] >= killed_after
    assert log_losses(resumed.path) == log_losses(model.path)
    index = json.loads((resumed.path / CHECKPOINT_DIR / INDEX_FILE).read_text())
    assert list(index["checkpoints"]) == ["15", "20"]
