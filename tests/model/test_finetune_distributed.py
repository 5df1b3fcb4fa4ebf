"""`gemeingut model finetune` under `torchrun` (2 CPU processes, gloo) trains the same adapter or
model as one process with the same global batch (without dropout): the same data order, the loss
normalised by the answer tokens of the whole global batch (each rank's share has a different
count), validation on the same windows, the same logged losses and weights up to float
rounding; a run stopped after a checkpoint resumes on the same curve."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gemeingut.errors import InputError
from gemeingut.model import distributed
from gemeingut.model.base_model import inspect_base_model
from gemeingut.model.checkpoints import CHECKPOINT_DIR, load_latest
from gemeingut.model.finetune import LOG_FILE, finetune
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.recipe import FinetuneSection, FinetuneTraining, LoraSettings
from gemeingut.stages import finetune_stage
from gemeingut.workspace import at
from tests.model.tiny_models import make_model

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
needs_torchrun = pytest.mark.skipif(
    shutil.which("torchrun", path=str(BIN)) is None,
    reason="torchrun not installed beside this python",
)
COMMON = dict(
    steps=6, seq_len=48, learning_rate=5e-3, warmup_steps=1, eval_every=3, checkpoint_every=3
)
WEIGHTS = {"lora": "adapter_model.safetensors", "full": "model.safetensors"}
# Every torchrun run goes through this script: only rank 0 may read, tokenize or pack the data;
# the followers map its token files.
LEADER_READS = """
import os
import gemeingut.model.finetune as finetune_module
import gemeingut.model.finetune_windows as windows_module
from gemeingut.cli import app

def leader_only(real):
    def run(*args, **kwargs):
        if os.environ["RANK"] != "0":
            raise RuntimeError(f"rank {os.environ['RANK']} read or packed the data")
        return real(*args, **kwargs)
    return run

finetune_module.make_windows = leader_only(finetune_module.make_windows)
for name in ("pack", "split_examples", "tokenize_split"):
    setattr(windows_module, name, leader_only(getattr(windows_module, name)))
"""
STOP_IN_STEP_5 = """
real_step, calls = finetune_module._step, []

def stop_in_step_5(*args, **kwargs):
    calls.append(1)
    if len(calls) == 5:
        raise RuntimeError("stopped after the checkpoint of step 3")
    return real_step(*args, **kwargs)

finetune_module._step = stop_in_step_5
"""


def chats(n: int, first: int = 0) -> list[dict]:
    """Chat and prompt/completion examples whose answers differ in length (0 to 6 extra words),
    so every rank's share of a batch has its own number of answer tokens."""
    subjects = ["Bürgeramt", "Stadtrat", "Bibliothek", "Schule", "Archiv"]
    out = []
    for i in range(first, first + n):
        s, more = subjects[i % len(subjects)], " sehr" * (i * 5 % 7)
        if i % 4 == 0:
            out.append({"prompt": f"Wo ist das {s}?", "completion": f" Am Markt{more} {i}."})
        else:
            answer = f"Das {s} hilft{more} {i} Menschen."
            out.append(
                {
                    "messages": [
                        {"role": "user", "content": f"Was macht das {s}?"},
                        {"role": "assistant", "content": answer},
                    ]
                }
            )
    return out


@pytest.fixture(scope="module")
def validation_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 held-out examples, a window each: more than the 8 (eval_batches) batches of 2
    windows that every evaluation takes, so a run that evaluated fewer or other windows per
    rank would log another validation loss."""
    path = tmp_path_factory.mktemp("data") / "held.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in chats(24, 100)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Untied output head: full fine-tuning trains it as its own parameter under DDP."""
    return make_model(tmp_path_factory.mktemp("base") / "winzling", tied=False)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in chats(40)), encoding="utf-8")
    return path


def single_process(base: Path, data: Path, out: Path, method: str, validation: Path | None = None):
    """One process, micro-batches of 2, accumulated twice: a global batch of 4."""
    training = FinetuneTraining(
        **COMMON, batch_size=2, grad_accumulation=2, seed=1, device="cpu", precision="fp32"
    )
    lora = LoraSettings(dropout=0.0)
    section = FinetuneSection(method=method, lora=lora, training=training, validation=validation)
    return finetune_stage(at(out), base, data, section)[0]


def torchrun_finetune(
    base: Path, data: Path, out: Path, method: str, validation: Path | None = None, patch: str = ""
) -> subprocess.CompletedProcess:
    """`gemeingut model finetune` on 2 CPU processes, micro-batches of 1 accumulated twice
    (2 x 1 x 2 = the single run's 2 x 2), with `patch` run before; the finished process."""
    script = out.with_name(f"{out.name}-finetune.py")
    script.write_text(f"{LEADER_READS}{patch}\napp()\n", encoding="utf-8")
    options = [f"--{key.replace('_', '-')}={value}" for key, value in COMMON.items()]
    if validation is not None:
        options.append(f"--validation={validation}")
    command = [
        str(BIN / "torchrun"),
        "--standalone",
        "--nproc_per_node=2",
        str(script),
        "model",
        "finetune",
        str(base),
        f"--data={data}",
        f"--out={out}",
        f"--method={method}",
        "--batch-size=1",
        "--grad-accumulation=2",
        "--lora-dropout=0",
        "--device=cpu",
        "--precision=fp32",
        "--threads=1",
        "--seed=1",
        "--json",
        *options,
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)


def report_of(result: subprocess.CompletedProcess) -> dict:
    """Rank 0's JSON report (only rank 0 prints)."""
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def log_records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / LOG_FILE).read_text().splitlines()]


def curve(folder: Path) -> list[tuple]:
    keys = ("step", "answer_tokens", "loss", "grad_norm", "val_loss")
    return [tuple(r.get(k) for k in keys) for r in log_records(folder)]


def assert_same_training(ours: Path, theirs: Path, weights: str) -> None:
    """Same steps, answer-token counts and losses; same weights up to float rounding."""
    mine, single = log_records(ours), log_records(theirs)
    assert [r["step"] for r in mine] == [r["step"] for r in single] == list(range(7))
    for a, b in zip(mine, single, strict=True):
        assert a.get("answer_tokens") == b.get("answer_tokens")  # global counts, not per rank
        for key in ("loss", "val_loss", "grad_norm"):
            assert (key in a) == (key in b)
            if key in a:
                assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), (a["step"], key)
    tuned, reference = load_file(ours / weights), load_file(theirs / weights)
    assert tuned.keys() == reference.keys()
    for name in tuned:
        assert torch.allclose(tuned[name], reference[name], rtol=1e-4, atol=1e-5), name


@pytest.fixture(scope="module")
def two_process_lora(
    base_dir: Path, data_file: Path, validation_file: Path, tmp_path_factory: pytest.TempPathFactory
):
    out = tmp_path_factory.mktemp("ddp") / "lora"
    return out, report_of(torchrun_finetune(base_dir, data_file, out, "lora", validation_file))


@needs_torchrun
def test_two_processes_tune_the_same_adapter_as_one(
    two_process_lora, base_dir: Path, data_file: Path, validation_file: Path, tmp_path: Path
) -> None:
    out, report = two_process_lora
    single = single_process(base_dir, data_file, tmp_path / "one", "lora", validation_file)
    assert report["kind"] == "adapter"
    assert report["stats"]["world_size"] == 2 and report["stats"]["global_batch_size"] == 4
    # more held-out windows than one evaluation takes: 8 batches of 1 window on each rank
    assert report["stats"]["validation_windows"] == 24 > 8 * 2
    assert_same_training(out, single.path, WEIGHTS["lora"])
    record = json.loads((out / FINETUNE_FILE).read_text())
    assert record["hardware"]["world_size"] == 2
    assert record["stats"]["final_val_loss"] == pytest.approx(
        single.stats["final_val_loss"], rel=1e-5
    )
    assert not list(out.parent.glob(".*.partial"))  # rank 0 finished the one artifact


@needs_torchrun
def test_two_processes_fully_fine_tune_the_same_model_as_one(
    base_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    report = report_of(torchrun_finetune(base_dir, data_file, tmp_path / "two", "full"))
    single = single_process(base_dir, data_file, tmp_path / "one", "full")
    assert report["kind"] == "model" and report["stats"]["output"] == "full"
    assert_same_training(tmp_path / "two", single.path, WEIGHTS["full"])


@needs_torchrun
def test_two_processes_tune_on_a_curated_dataset_only_the_leader_tokenized(
    base_dir: Path, tiny_build: dict, tmp_path: Path
) -> None:
    """Continued pretraining on a curated dataset: rank 0 tokenizes its splits, the other rank
    maps the token files, and both train and validate as one process does."""
    dataset = Path(tiny_build["dataset"]["path"])
    report = report_of(torchrun_finetune(base_dir, dataset, tmp_path / "two", "lora"))
    single = single_process(base_dir, dataset, tmp_path / "one", "lora")
    assert report["stats"]["validation_windows"] == single.stats["validation_windows"] > 0
    assert_same_training(tmp_path / "two", single.path, WEIGHTS["lora"])


@needs_torchrun
def test_a_run_stopped_after_a_checkpoint_resumes_under_torchrun(
    two_process_lora, base_dir: Path, data_file: Path, validation_file: Path, tmp_path: Path
) -> None:
    """Both ranks stop in step 5; the rerun continues from rank 0's checkpoint of step 3 (each
    rank's RNG state in it) and ends as the uninterrupted run did."""
    out = tmp_path / "b"
    stopped = torchrun_finetune(base_dir, data_file, out, "lora", validation_file, STOP_IN_STEP_5)
    assert stopped.returncode != 0 and "stopped after the checkpoint" in stopped.stderr
    (partial,) = tmp_path.glob(".b.*.partial")
    state = load_latest(partial / CHECKPOINT_DIR)
    assert state is not None and state["step"] == 3 and len(state["rng"]["cpu"]) == 2
    report = report_of(torchrun_finetune(base_dir, data_file, out, "lora", validation_file))
    assert report["stats"]["resumed_from_step"] == 3
    assert curve(out) == curve(two_process_lora[0])  # the same sums over the same ranks


def test_fsdp_fine_tuning_is_a_clear_error(
    base_dir: Path, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked for FSDP under torchrun, the leader refuses before any work (here it only
    believes it leads two processes)."""
    monkeypatch.setattr(distributed, "current_world", lambda: distributed.World(0, 2, 0))
    training = FinetuneTraining(**COMMON, strategy="fsdp", device="cpu")
    section = FinetuneSection(training=training)
    with pytest.raises(InputError, match="läuft nur mit DDP"):
        finetune(inspect_base_model(base_dir), data_file, section, tmp_path / "out")
    assert not (tmp_path / "out").exists()
