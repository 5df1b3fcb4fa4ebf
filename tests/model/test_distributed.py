"""`gemeingut model pretrain` under `torchrun` (2 CPU processes, gloo) trains the same model as
one process with the same global batch: same data order, same weights up to float rounding."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import gemeingut.model.pretrain as pretrain_module
from gemeingut.model.data_order import DataOrder
from gemeingut.recipe import ModelSection, TrainingSection
from gemeingut.stages import pretrain_stage
from gemeingut.workspace import at, load_artifact

ROOT = Path(__file__).resolve().parents[2]
needs_torchrun = pytest.mark.skipif(
    shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None,
    reason="torchrun not installed beside this python",
)
# fp32: "the same model up to float rounding" needs fp32 rounding (auto is bf16 on a CPU with
# bf16 units, where summing gradients in another order differs by far more than 1e-5).
COMMON = dict(
    steps=6,
    seq_len=32,
    warmup_steps=2,
    eval_every=3,
    eval_batches=2,
    checkpoint_every=3,
    seed=7,
    precision="fp32",
)


@pytest.fixture(scope="module")
def single_process(tiny_build, tmp_path_factory: pytest.TempPathFactory):
    """One process, micro-batches of 2, accumulated twice: a global batch of 4."""
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    training = TrainingSection(**COMMON, batch_size=2, grad_accumulation=2, device="cpu")
    section = ModelSection(preset="micro", training=training)
    model, _ = pretrain_stage(at(tmp_path_factory.mktemp("one") / "m"), dataset, tokenizer, section)
    return dataset, tokenizer, model


@needs_torchrun
@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_processes_train_the_same_model_as_one(
    single_process, tmp_path: Path, strategy: str
) -> None:
    dataset, tokenizer, single = single_process
    out = tmp_path / strategy
    report = torchrun_pretrain(dataset, tokenizer, out, strategy)
    assert report["stats"]["world_size"] == 2 and report["stats"]["global_batch_size"] == 4

    ours, theirs = (
        load_file(out / "model.safetensors"),
        load_file(single.path / "model.safetensors"),
    )
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert torch.allclose(ours[name], theirs[name], atol=1e-5), name
    order = (out / "data_order" / "steps.jsonl").read_text()
    assert order == (single.path / "data_order" / "steps.jsonl").read_text()
    assert report["stats"]["final_val_loss"] == pytest.approx(
        single.stats["final_val_loss"], rel=1e-5
    )
    assert not list(tmp_path.glob(".*.partial"))  # rank 0 finished the one artifact


@needs_torchrun
def test_a_single_process_checkpoint_resumes_on_two_processes(
    single_process, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rank 0 reads the checkpoint and broadcasts it; the data continues at the position the
    checkpoint recorded, now in global batches of 2 x 2."""
    dataset, tokenizer, _ = single_process
    training = TrainingSection(**COMMON, batch_size=2, device="cpu", threads=1, strategy="ddp")
    real_step = pretrain_module._train_step
    calls = {"n": 0}

    def crash_at_step_5(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(pretrain_module, "_train_step", crash_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        pretrain_stage(
            at(tmp_path / "m"), dataset, tokenizer, ModelSection(preset="micro", training=training)
        )
    report = torchrun_pretrain(dataset, tokenizer, tmp_path / "m", "ddp", grad_accumulation=1)
    assert report["stats"]["resumed_from_step"] == 3
    steps = [json.loads(line) for line in (tmp_path / "m" / "data_order" / "steps.jsonl").open()]
    assert [len(s["windows"]) for s in steps] == [2, 2, 2, 4, 4, 4]
    order = DataOrder(report["stats"]["train_windows"], COMMON["seed"], global_batch=4)
    assert steps[3]["windows"] == order.batch_at(3 * 2).tolist()


def torchrun_pretrain(
    dataset, tokenizer, out: Path, strategy: str, grad_accumulation: int | None = None
) -> dict:
    """`gemeingut model pretrain` on 2 CPU processes; returns rank 0's JSON report."""
    options = [f"--{key.replace('_', '-')}={value}" for key, value in COMMON.items()]
    if grad_accumulation is not None:
        options.append(f"--grad-accumulation={grad_accumulation}")
    command = [
        str(Path(sys.executable).parent / "torchrun"),
        "--standalone",
        "--nproc_per_node=2",
        str(Path(sys.executable).parent / "gemeingut"),
        "model",
        "pretrain",
        f"--dataset={dataset.path}",
        f"--tokenizer={tokenizer.path}",
        f"--out={out}",
        "--preset=micro",
        "--batch-size=2",  # per process: 2 processes x 2 = the single run's 2 x 2 accumulated
        "--device=cpu",
        "--threads=1",
        f"--strategy={strategy}",
        "--json",
        *options,
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)  # only rank 0 prints
