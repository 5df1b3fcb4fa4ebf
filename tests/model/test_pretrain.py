import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import gemeingut.model.pretrain as pretrain_module
from gemeingut.errors import InputError, RecipeError
from gemeingut.model.checkpoints import INDEX_FILE
from gemeingut.model.pretrain import CHECKPOINT_DIR, LOG_FILE, METADATA_FILE
from gemeingut.model.run_state import OOM_HINT, out_of_memory_as_input_error
from gemeingut.model.token_file import TOKEN_DIR
from gemeingut.recipe import DataSection, ModelSection, SourceSpec, TrainingSection
from gemeingut.stages import curate_stage, pretrain_stage
from gemeingut.workspace import at, load_artifact
from tests.corpus import open_documents, write_jsonl


def test_training_lowers_validation_loss_and_transformers_loads_the_result(tiny_build) -> None:
    model = load_artifact(Path(tiny_build["model"]["path"]), "model")
    assert model.stats["final_val_loss"] < model.stats["initial_val_loss"] - 0.5
    loaded = AutoModelForCausalLM.from_pretrained(model.path)
    tokenizer = AutoTokenizer.from_pretrained(model.path)
    ids = tokenizer("Die Stadt veröffentlicht", return_tensors="pt").input_ids
    out = loaded.generate(ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids.shape[1]
    assert (model.path / "checkpoints").is_dir()
    state = torch.load(next((model.path / "checkpoints").glob("step-*.pt")), weights_only=True)
    assert state["step"] == 30 and "optimizer" in state and "state" in state["optimizer"]


def test_dataset_too_small_for_one_sequence_says_what_to_change(tiny_build, tmp_path: Path) -> None:
    docs = open_documents(3)
    source = SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs))
    dataset, _ = curate_stage(
        at(tmp_path / "ds"),
        DataSection(sources=[source], validation_fraction=0.0, test_fraction=0.0),
    )
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    section = ModelSection(preset="micro", training=TrainingSection(seq_len=4096, steps=1))
    with pytest.raises(InputError, match="zu klein für eine Sequenz") as caught:
        pretrain_stage(at(tmp_path / "m"), dataset, tokenizer, section)
    assert "seq_len" in str(caught.value.hint)


def test_unknown_preset_names_the_known_ones() -> None:
    """The recipe refuses it when read (tests/test_recipe.py); a caller that builds the
    architecture itself is told the same."""
    from gemeingut.model.presets import build_config

    with pytest.raises(RecipeError, match="unbekannte Voreinstellung „huge“") as caught:
        build_config("huge", {}, vocab_size=100, max_positions=32, special_ids={})
    assert "micro" in str(caught.value.hint)


def test_log_has_loss_lr_grad_norm_throughput_and_mfu_every_step(tiny_build) -> None:
    model = Path(tiny_build["model"]["path"])
    records = [json.loads(line) for line in (model / LOG_FILE).read_text().splitlines()]
    assert records[0] == {"step": 0, "val_loss": records[0]["val_loss"]}
    steps = records[1:]
    assert [r["step"] for r in steps] == list(range(1, 31))
    for record in steps:
        assert {"loss", "lr", "grad_norm", "tokens_per_s", "mfu", "tokens_seen"} <= set(record)
        assert 0 < record["mfu"] < 1
    assert [r["step"] for r in steps if "val_loss" in r] == [10, 20, 30]


def test_training_metadata_states_flops_hardware_energy_and_checkpoint_hashes(tiny_build) -> None:
    model = load_artifact(Path(tiny_build["model"]["path"]), "model")
    meta = json.loads((model.path / METADATA_FILE).read_text())
    stats = model.stats
    assert stats["flops_6nd"] == 6 * stats["parameters"] * stats["tokens_seen"]
    assert stats["tokens_seen"] == 30 * 4 * 32
    assert meta["flops"]["model_flops_total"] >= stats["flops_6nd"]
    assert "torch.mm" in meta["flops"]["peak_method"]
    assert meta["hardware"]["torch_threads"] == 1 and meta["hardware"]["cpu_cores"] >= 1
    assert meta["energy"]["kwh_this_run"] > 0 and meta["energy"]["method"]
    assert stats["energy_method"] == meta["energy"]["method"]
    index = json.loads((model.path / CHECKPOINT_DIR / INDEX_FILE).read_text())
    ((step, entry),) = index["checkpoints"].items()
    assert meta["checkpoints"] == {step: entry["sha256"]}
    assert model.meta["files"][f"{CHECKPOINT_DIR}/{entry['file']}"] == entry["sha256"]


def test_data_order_is_recorded_per_step_with_each_windows_origin(tiny_build) -> None:
    model = Path(tiny_build["model"]["path"])
    steps = [json.loads(line) for line in (model / "data_order" / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == list(range(1, 31))
    assert all(len(s["windows"]) == 4 for s in steps)
    table = pq.read_table(model / "data_order" / "windows.parquet").to_pylist()
    assert len(table) == model_stats(model)["train_windows"]
    row = table[steps[0]["windows"][0]]
    assert row["first_shard"].startswith("train-") and row["first_row"] <= row["last_row"]
    # the token files are a cache of the dataset: gone from the finished artifact
    assert not (model / TOKEN_DIR).exists()
    assert not any(f.startswith(f"{TOKEN_DIR}/") for f in load_artifact(model).meta["files"])


def model_stats(path: Path) -> dict:
    return load_artifact(path, "model").stats


def test_vocabulary_smaller_than_the_tokenizer_is_refused(tiny_build, tmp_path: Path) -> None:
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    section = ModelSection(
        preset="micro",
        overrides={"vocab_size": 100},
        training=TrainingSection(seq_len=32, steps=1, device="cpu"),
    )
    with pytest.raises(InputError, match="kleiner als das Vokabular des Tokenizers") as caught:
        pretrain_stage(at(tmp_path / "m"), dataset, tokenizer, section)
    assert "vocab_size" in str(caught.value.hint)


@pytest.mark.parametrize(
    "error",
    [
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB"),
        RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 1 TB"),
    ],
    ids=["cuda", "cpu"],
)
def test_out_of_memory_during_training_says_what_to_lower(
    tiny_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")

    def out_of_memory(*args, **kwargs):
        raise error

    monkeypatch.setattr(pretrain_module, "_train_step", out_of_memory)
    section = ModelSection(
        preset="micro", training=TrainingSection(seq_len=32, steps=2, batch_size=4, device="cpu")
    )
    with pytest.raises(InputError, match="kein Speicher mehr") as caught:
        pretrain_stage(at(tmp_path / "m"), dataset, tokenizer, section)
    assert str(OOM_HINT) in str(caught.value.hint) and "batch_size 4" in str(caught.value.message)


def test_a_real_cpu_allocation_failure_is_recognised() -> None:
    cfg = TrainingSection(batch_size=2, seq_len=16)
    oom = out_of_memory_as_input_error(cfg, torch.device("cpu"), world_size=1)
    with pytest.raises(InputError, match="kein Speicher mehr"), oom:
        torch.empty(2**50, dtype=torch.float32)  # refused at once, nothing is touched


def test_other_runtime_errors_pass_through() -> None:
    cfg = TrainingSection()
    oom = out_of_memory_as_input_error(cfg, torch.device("cpu"), world_size=1)
    with pytest.raises(RuntimeError, match="shape"), oom:
        torch.zeros(2, 3) @ torch.zeros(2, 3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error(tiny_build, tmp_path: Path) -> None:
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    section = ModelSection(preset="micro", training=TrainingSection(seq_len=32, device="cuda"))
    with pytest.raises(InputError, match=r"model\.training\.device = 'cuda'.*CUDA") as caught:
        pretrain_stage(at(tmp_path / "m"), dataset, tokenizer, section)
    assert "'auto'" in str(caught.value.hint)


def test_bf16_on_cpu_and_gradient_accumulation_train_and_say_so(tiny_build, tmp_path: Path) -> None:
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    tokenizer = load_artifact(Path(tiny_build["tokenizer"]["path"]), "tokenizer")
    training = TrainingSection(
        steps=12,
        batch_size=2,
        grad_accumulation=3,
        seq_len=32,
        warmup_steps=2,
        eval_every=6,
        eval_batches=2,
        device="cpu",
        precision="bf16",
        learning_rate=5e-3,
    )
    model, _ = pretrain_stage(
        at(tmp_path / "m"), dataset, tokenizer, ModelSection(preset="micro", training=training)
    )
    assert model.stats["precision"] == "bf16" and model.stats["global_batch_size"] == 6
    assert model.stats["tokens_seen"] == 12 * 6 * 32
    assert model.stats["final_val_loss"] < model.stats["initial_val_loss"]
    meta = json.loads((model.path / METADATA_FILE).read_text())
    assert "bfloat16" in meta["flops"]["peak_method"]


def test_snapshots_keep_the_weights_along_the_way_and_the_last_is_the_final_model(tiny_build):
    from safetensors.torch import load_file

    model = Path(tiny_build["model"]["path"])
    names = sorted(p.name for p in (model / "snapshots").iterdir())
    assert names == ["step-0000015.safetensors", "step-0000030.safetensors"]
    meta = json.loads((model / METADATA_FILE).read_text())
    assert sorted(meta["snapshots"]) == names
    final = AutoModelForCausalLM.from_pretrained(model).state_dict()
    last = load_file(model / "snapshots" / names[-1])
    assert all(torch.equal(final[name], tensor) for name, tensor in last.items())
    first = load_file(model / "snapshots" / names[0])
    assert not all(torch.equal(first[name], last[name]) for name in last)
