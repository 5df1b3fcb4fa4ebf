"""Fine-tuning: LoRA touches only adapters and merges into a loadable model, full fine-tuning,
resume on the same loss curve, lineage of the base model and data, licences and bad input."""

import json
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaForCausalLM,
    modeling_utils,
)
from typer.testing import CliRunner

import gemeingut.model.finetune as finetune_module
from gemeingut.cli import app
from gemeingut.data.shards import iter_split
from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.model.base_model import BaseModelFacts, inspect_base_model, release_refusal
from gemeingut.model.finetune import LOG_FILE
from gemeingut.model.loading import FINETUNE_FILE, load_causal_lm
from gemeingut.recipe import EvaluateSection, FinetuneSection, FinetuneTraining
from gemeingut.serve.backends import SamplingParams, TransformersBackend
from gemeingut.serve.runner import resolve_model_dir
from gemeingut.stages import evaluate_stage, finetune_stage
from gemeingut.workspace import at, load_artifact
from tests.model.crash import kill_after_checkpoint
from tests.model.tiny_models import make_model

CARD = """---
license: apache-2.0
model_name: Winzling-32
base_model: example/winzling-base
---
# Winzling
"""


def qa_lines(n: int) -> list[dict]:
    subjects = ["Bürgeramt", "Stadtrat", "Bibliothek", "Schule", "Archiv"]
    out = []
    for i in range(n):
        s = subjects[i % len(subjects)]
        if i % 3 == 0:
            out.append({"prompt": f"Wo ist das {s}?", "completion": f" Das {s} ist am Markt {i}."})
        else:
            out.append(
                {
                    "messages": [
                        {"role": "user", "content": f"Was macht das {s}?"},
                        {"role": "assistant", "content": f"Das {s} hilft {i} Menschen."},
                    ]
                }
            )
    return out


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_model(tmp_path_factory.mktemp("base") / "winzling")
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "fragen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in qa_lines(40)), encoding="utf-8")
    return path


def section(precision: str = "fp32", **changes) -> FinetuneSection:
    training = FinetuneTraining(
        precision=precision,
        steps=8,
        batch_size=4,
        seq_len=48,
        learning_rate=5e-3,
        warmup_steps=1,
        eval_every=4,
        checkpoint_every=4,
        keep_checkpoints=2,
        seed=1,
        device="cpu",
    )
    return FinetuneSection(training=training, **changes)


def losses(folder: Path) -> list[tuple]:
    records = [json.loads(line) for line in (folder / LOG_FILE).read_text().splitlines()]
    return [(r["step"], r.get("loss"), r.get("val_loss")) for r in records]


@pytest.fixture(scope="module")
def adapter(base_dir: Path, data_file: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("ft") / "adapter"
    artifact, _ = finetune_stage(at(out), base_dir, data_file, section(), "Apache-2.0")
    return artifact


def test_lora_trains_only_the_adapters(adapter, base_dir: Path) -> None:
    assert adapter.kind == "adapter" and adapter.stats["output"] == "lora-adapter"
    assert not (adapter.path / "model.safetensors").exists()
    saved = load_file(adapter.path / "adapter_model.safetensors")
    assert saved and all("lora_" in name for name in saved)
    assert any(float(t.abs().sum()) > 0 for n, t in saved.items() if "lora_B" in n)  # B starts 0
    stats = adapter.stats
    assert stats["trainable_parameters"] == sum(t.numel() for t in saved.values())
    assert stats["trainable_parameters"] < stats["parameters"] / 2
    base = LlamaForCausalLM.from_pretrained(base_dir)
    original = {k: v.clone() for k, v in base.state_dict().items()}
    tuned = PeftModel.from_pretrained(base, adapter.path)
    for name, value in tuned.get_base_model().state_dict().items():
        if "lora_" not in name:
            plain = name.replace(".base_layer", "")
            assert torch.equal(value, original[plain]), name
    log = losses(adapter.path)
    assert log[0][2] is not None and log[-1][2] < log[0][2]  # validation loss went down


@pytest.fixture(scope="module")
def merged(base_dir: Path, data_file: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("ft") / "merged"
    return finetune_stage(at(out), base_dir, data_file, section(merge=True))[0]


def test_merge_writes_a_model_transformers_loads_that_equals_base_plus_adapter(
    adapter, merged, base_dir: Path
) -> None:
    assert merged.kind == "model" and merged.stats["output"] == "merged"
    assert losses(merged.path) == losses(adapter.path)  # the same training, only saved merged
    model = AutoModelForCausalLM.from_pretrained(merged.path)
    reference = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base_dir), adapter.path)
    ids = torch.tensor([[1, 5, 9, 30, 7, 2]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, reference(input_ids=ids).logits)
    assert not any("lora" in name for name in model.state_dict())


def test_full_finetuning_changes_the_weights(base_dir: Path, data_file: Path, tmp_path: Path):
    full, _ = finetune_stage(at(tmp_path / "full"), base_dir, data_file, section(method="full"))
    assert full.stats["output"] == "full"
    assert full.stats["trainable_parameters"] == full.stats["parameters"]
    before = LlamaForCausalLM.from_pretrained(base_dir).state_dict()
    after = AutoModelForCausalLM.from_pretrained(full.path).state_dict()
    assert not torch.equal(
        before["model.layers.0.mlp.up_proj.weight"], after["model.layers.0.mlp.up_proj.weight"]
    )


def test_lineage_names_the_base_model_and_the_data(adapter, base_dir: Path, data_file: Path):
    meta = json.loads((adapter.path / "artifact.json").read_text())
    facts = inspect_base_model(base_dir)
    assert meta["inputs"]["base"] == facts.fingerprint
    assert meta["inputs"]["data"].startswith("sha256:")
    record = json.loads((adapter.path / FINETUNE_FILE).read_text())
    base = record["base_model"]
    assert base["name"] == "Winzling-32" and base["license"] == "Apache-2.0"
    assert base["license_source"] == "card" and base["card_base_model"] == ["example/winzling-base"]
    assert record["data"]["path_name"] == data_file.name
    assert (
        record["data"]["train"]["chat_examples"] + record["data"]["train"]["instruction_examples"]
        > 0
    )
    assert record["lora_targets"] == sorted(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    assert record["checkpoints"]


def test_resume_after_a_crash_repeats_the_same_loss_curve(
    adapter, base_dir: Path, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_step = finetune_module._step
    calls = {"n": 0}

    def crash_at_step_7(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(finetune_module, "_step", crash_at_step_7)
    with pytest.raises(KeyboardInterrupt):
        finetune_stage(at(tmp_path / "b"), base_dir, data_file, section(), "Apache-2.0")
    monkeypatch.setattr(finetune_module, "_step", real_step)
    resumed, _ = finetune_stage(at(tmp_path / "b"), base_dir, data_file, section(), "Apache-2.0")
    assert resumed.stats["resumed_from_step"] == 4
    assert losses(resumed.path) == losses(adapter.path)  # dropout included: RNG restored
    assert (
        load_file(resumed.path / "adapter_model.safetensors").keys()
        == load_file(adapter.path / "adapter_model.safetensors").keys()
    )
    # The interrupted run's energy was not measured: scaled by wall time, as pretraining does.
    energy = json.loads((resumed.path / FINETUNE_FILE).read_text())["energy"]
    assert energy["kwh_total_extrapolated"] > energy["kwh_this_run"] > 0
    assert resumed.stats["energy_kwh"] == energy["kwh_total_extrapolated"]


def test_the_fine_tuning_records_its_energy_as_pretraining_does(adapter) -> None:
    """Measured by codecarbon where installed, else estimated from threads and time: either
    way with the method that says which."""
    record = json.loads((adapter.path / FINETUNE_FILE).read_text())
    energy = record["energy"]
    assert energy["kwh_this_run"] > 0 and energy["seconds_this_run"] > 0
    assert energy["method"].startswith(("codecarbon", "estimate"))
    if energy["method"].startswith("estimate"):
        assert (
            energy["assumptions"]["cpu_threads"] == 1 and energy["assumptions"]["gpu_watts"] == []
        )
    assert "kwh_total_extrapolated" not in energy  # one run, measured whole
    assert adapter.stats["energy_kwh"] == record["stats"]["energy_kwh"] == energy["kwh_this_run"]
    assert adapter.stats["energy_method"] == energy["method"]


CHILD = """
import sys, time
from pathlib import Path
import gemeingut.model.finetune as finetune_module
from gemeingut.recipe import FinetuneSection
from gemeingut.stages import finetune_stage
from gemeingut.workspace import at

base, data, out, section = sys.argv[1:5]
real_step = finetune_module._step

def slow_step(*args, **kwargs):
    time.sleep(0.3)
    return real_step(*args, **kwargs)

finetune_module._step = slow_step
finetune_stage(at(Path(out)), Path(base), Path(data), FinetuneSection.model_validate_json(section),
               "Apache-2.0")
"""


def test_resume_after_kill_9(adapter, base_dir: Path, data_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "b"
    args = [str(base_dir), str(data_file), str(target), section().model_dump_json()]
    assert kill_after_checkpoint(CHILD, args, tmp_path, at_least=4) == 4
    assert not (target / "artifact.json").exists()
    resumed, _ = finetune_stage(at(target), base_dir, data_file, section(), "Apache-2.0")
    assert resumed.stats["resumed_from_step"] == 4
    assert losses(resumed.path) == losses(adapter.path)


def facts(license_: str | None, source: str = "card") -> BaseModelFacts:
    return BaseModelFacts(
        "base", "/x", "sha256:0", "LlamaForCausalLM", "llama", license_, source, None, []
    )


@pytest.mark.parametrize(
    ("base", "release", "refused"),
    [
        ("Apache-2.0", "EUPL-1.2", None),
        ("MIT", "Apache-2.0", None),
        ("CC-BY-4.0", "Apache-2.0", None),
        ("CC-BY-SA-4.0", "Apache-2.0", "share-alike"),
        ("CC-BY-SA-4.0", "CC-BY-SA-4.0", None),
        ("GPL-3.0-only", "MIT", "share-alike"),
        ("CC-BY-NC-4.0", "Apache-2.0", "forbids commercial use"),
        ("CC-BY-NC-4.0", "CC-BY-NC-4.0", None),
        ("CC-BY-ND-4.0", "CC-BY-ND-4.0", "forbids derivatives"),
        ("CC-BY-NC-ND-4.0", "CC-BY-NC-ND-4.0", "forbids derivatives"),
        ("LicenseRef-llama3", "Apache-2.0", "same terms"),
        ("LicenseRef-llama3", "LicenseRef-llama3", None),
        ("LicenseRef-llama3", "licenseref-llama3", None),
        ("MIT AND CC-BY-SA-4.0", "cc-by-sa-4.0 AND MIT", None),
        ("MIT AND CC-BY-SA-4.0", "CC-BY-SA-4.0", "share-alike"),
        ("MPL-2.0 OR GPL-2.0-only", "MPL-2.0", None),
        ("MPL-2.0 OR GPL-2.0-only", "MIT", "share-alike"),
        ("CC-BY-SA-4.0 OR MIT", "Apache-2.0", None),
        ("()", "()", "no licence expression"),
        ("()", "MIT", "same terms"),
        (None, "Apache-2.0", "names no licence"),
    ],
)
def test_release_licence_against_the_base_licence(base, release, refused) -> None:
    outcome = release_refusal(facts(base), release)
    if refused is None:
        assert outcome is None
    else:
        assert outcome is not None and refused in text(outcome[0], "en")
    assert release_refusal(facts(None, "gemeingut-artifact"), "Apache-2.0") is None
    assert release_refusal(facts(base), None) is None


def test_licence_from_card_license_file_or_user(base_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(base_dir, bare)
    (bare / "README.md").unlink()
    assert inspect_base_model(bare).license is None
    assert inspect_base_model(bare, "MIT").license_source == "stated"
    (bare / "LICENSE").write_text("            Apache License\n       Version 2.0, January 2004\n")
    assert (inspect_base_model(bare).license, inspect_base_model(bare).license_source) == (
        "Apache-2.0",
        "LICENSE file",
    )
    (bare / "LICENSE").unlink()  # a card and LICENSE file that disagree: test_base_model.py
    (bare / "README.md").write_text("---\nlicense: other\nlicense_name: llama3\n---\n")
    assert inspect_base_model(bare).license == "LicenseRef-llama3"
    with pytest.raises(InputError, match="widerspricht der eigenen Lizenz des Basismodells"):
        inspect_base_model(bare, "MIT")
    (bare / "README.md").write_text("---\nlicense: cc-by-nc-4.0\n---\n")
    with pytest.raises(InputError, match="verbietet die kommerzielle Nutzung"):
        finetune_stage(at(tmp_path / "out"), bare, tmp_path, section(), "Apache-2.0")
    assert not (tmp_path / "out").exists()  # refused before any work


def test_bad_base_models_are_clear_errors(base_dir: Path, data_file: Path, tmp_path: Path) -> None:
    no_weights = tmp_path / "no-weights"
    shutil.copytree(base_dir, no_weights)
    (no_weights / "model.safetensors").unlink()
    with pytest.raises(InputError, match="hat keine Gewichte"):
        finetune_stage(at(tmp_path / "a"), no_weights, data_file, section())
    with pytest.raises(InputError, match=r"keine config\.json"):
        finetune_stage(at(tmp_path / "b"), data_file.parent, data_file, section())
    small = tmp_path / "small-vocab"
    shutil.copytree(base_dir, small)
    model = LlamaForCausalLM.from_pretrained(base_dir)
    model.resize_token_embeddings(100)
    model.save_pretrained(small)
    with pytest.raises(InputError, match="Vokabular passt nicht"):
        finetune_stage(at(tmp_path / "c"), small, data_file, section())
    broken = tmp_path / "broken-tokenizer"
    shutil.copytree(base_dir, broken)
    (broken / "tokenizer.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(InputError, match=r"kann den Tokenizer in .* nicht laden"):
        finetune_stage(at(tmp_path / "d"), broken, data_file, section())


def test_data_without_anything_to_train_on(base_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": ""}\n{"text": ""}\n', encoding="utf-8")
    with pytest.raises(InputError, match="ergeben keine Tokens zum Trainieren"):
        finetune_stage(at(tmp_path / "a"), base_dir, empty, section())


def test_cli_finetune_and_its_errors(base_dir: Path, data_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "model",
        "finetune",
        str(base_dir),
        "--data",
        str(data_file),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--seq-len",
        "32",
        "--device",
        "cpu",
    ]
    result = runner.invoke(
        app,
        [*args, "--out", str(tmp_path / "ok"), "--merge", "--data-license", "CC0-1.0", "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["kind"] == "model" and summary["stats"]["output"] == "merged"
    params = json.loads((tmp_path / "ok" / "artifact.json").read_text())["params"]
    assert params["data_license"] == "CC0-1.0"  # what a later `release --finetuned` checks
    share_alike = tmp_path / "share-alike"
    shutil.copytree(base_dir, share_alike)
    (share_alike / "README.md").write_text("---\nlicense: cc-by-sa-4.0\n---\n")
    refused = runner.invoke(
        app,
        [
            *args[:2],
            str(share_alike),
            *args[3:],
            "--out",
            str(tmp_path / "no"),
            "--license",
            "Apache-2.0",
        ],
    )
    assert refused.exit_code == 2 and "ist Share-alike" in refused.stderr
    assert "Hinweis:" in refused.stderr and not (tmp_path / "no").exists()
    torchrun = runner.invoke(app, [*args, "--out", str(tmp_path / "tr")], env={"WORLD_SIZE": "2"})
    assert torchrun.exit_code == 2 and "nicht von torchrun gestartet" in torchrun.stderr
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "bad"), "--method", "half"])
    assert bad.exit_code == 2 and "method" in bad.stderr and "Traceback" not in bad.output


def test_an_adapter_is_evaluated_and_served_like_its_merged_model(
    adapter, merged, tiny_build, tmp_path: Path
) -> None:
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    scores = [
        evaluate_stage(at(tmp_path / name), artifact, dataset, EvaluateSection())[0].stats["loss"]
        for name, artifact in (("a", adapter), ("m", merged))
    ]
    assert scores[0] == pytest.approx(scores[1], rel=1e-5)
    params = SamplingParams(max_tokens=8, temperature=0.0)
    answers = [
        TransformersBackend(resolve_model_dir(a.path)).generate("Wo ist das Archiv?", params).text
        for a in (adapter, merged)
    ]
    assert answers[0] == answers[1]


def test_an_adapter_loads_without_peft_s_deprecation_warning(adapter) -> None:
    """`serve` on an adapter printed transformers' FutureWarning about a property peft reads."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_causal_lm(adapter.path)
    assert not [w for w in caught if issubclass(w.category, FutureWarning)], caught


def test_an_adapter_without_its_base_is_a_clear_error(adapter, tmp_path: Path) -> None:
    moved = tmp_path / "adapter"
    shutil.copytree(adapter.path, moved)
    record = json.loads((moved / FINETUNE_FILE).read_text())
    record["base_model"]["path"] = str(tmp_path / "gone")
    (moved / FINETUNE_FILE).write_text(json.dumps(record))
    config = json.loads((moved / "adapter_config.json").read_text())
    # peft's name for the base, which the loader tries too: where it is, the adapter loads
    assert load_causal_lm(moved) is not None
    config["base_model_name_or_path"] = str(tmp_path / "gone")
    (moved / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="dessen Basismodell nicht unter"):
        load_causal_lm(moved)


def test_lora_in_bf16_keeps_the_frozen_base_in_bf16_and_the_adapters_in_fp32(
    base_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    tuned, _ = finetune_stage(
        at(tmp_path / "bf16"), base_dir, data_file, section(precision="bf16", merge=True)
    )
    record = json.loads((tuned.path / FINETUNE_FILE).read_text())
    assert record["precision"] == "bf16" and record["base_weights_dtype"] == "bfloat16"
    assert record["stats"]["final_val_loss"] < record["stats"]["initial_val_loss"]
    model = AutoModelForCausalLM.from_pretrained(tuned.path)
    assert model(torch.tensor([[1, 5, 9]])).logits.isfinite().all()


def test_activation_checkpointing_repeats_the_same_loss_curve(
    adapter, base_dir: Path, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = modeling_utils.checkpoint

    def counted(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(modeling_utils, "checkpoint", counted)
    changed = section()
    changed.training.activation_checkpointing = True
    tuned, _ = finetune_stage(at(tmp_path / "ac"), base_dir, data_file, changed, "Apache-2.0")
    assert calls["n"] >= 8 * 2  # every layer of every training step went through a checkpoint
    assert losses(tuned.path) == losses(adapter.path)  # recomputed, dropout masks included


def test_a_non_llama_base_without_chat_template(data_file: Path, tmp_path: Path) -> None:
    """GPT-2: Conv1D layers (peft's table picks c_attn), logits through the model's own head,
    no chat template (prompt/completion is concatenated; chats are refused with the line)."""
    base = make_model(tmp_path / "tok")
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.chat_template = None
    gpt2 = tmp_path / "gpt2"
    tokenizer.save_pretrained(gpt2)
    (gpt2 / "chat_template.jinja").unlink(missing_ok=True)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4, n_positions=128)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(gpt2)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(json.dumps(r) + "\n" for r in qa_lines(30) if "prompt" in r) * 3, encoding="utf-8"
    )
    tuned, _ = finetune_stage(at(tmp_path / "out"), gpt2, pairs, section(merge=True))
    record = json.loads((tuned.path / FINETUNE_FILE).read_text())
    assert record["lora_targets"] == ["c_attn"]
    assert record["base_model"]["architecture"] == "GPT2LMHeadModel"
    assert record["stats"]["final_val_loss"] < record["stats"]["initial_val_loss"]
    assert type(AutoModelForCausalLM.from_pretrained(tuned.path)).__name__ == "GPT2LMHeadModel"
    with pytest.raises(
        InputError, match=r"fragen\.jsonl:2: ein Chat-Beispiel, aber .* keine Chat-Vorlage"
    ):
        finetune_stage(at(tmp_path / "chat"), gpt2, data_file, section())


def test_warm_up_must_be_shorter_than_training(base_dir: Path, data_file: Path, tmp_path: Path):
    long_warmup = section()
    long_warmup.training.warmup_steps = 8
    with pytest.raises(
        InputError, match="warmup_steps = 8 ist nicht kürzer als die 8 Trainingsschritte"
    ):
        finetune_stage(at(tmp_path / "w"), base_dir, data_file, long_warmup)


def test_a_relative_base_path_is_recorded_absolute(
    base_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(base_dir.parent)
    assert inspect_base_model(Path(base_dir.name)).path == str(base_dir.resolve())


def test_a_curated_dataset_is_fine_tuned_from_memory_mapped_windows(
    tiny_build, tmp_path: Path
) -> None:
    dataset, model = (Path(tiny_build[k]["path"]) for k in ("dataset", "model"))
    training = FinetuneTraining(steps=3, batch_size=2, seq_len=32, device="cpu", eval_every=3)
    tuned, _ = finetune_stage(at(tmp_path / "ft"), model, dataset, FinetuneSection(
        method="full", training=training
    ))  # fmt: skip
    record = json.loads((tuned.path / FINETUNE_FILE).read_text())
    train = record["data"]["train"]
    tokens = sum(len(t) for t in AutoTokenizer.from_pretrained(model)(
        [r["text"] for r in iter_split(dataset, "train")], add_special_tokens=False
    )["input_ids"])  # fmt: skip
    assert train["windows"] == (tokens + train["examples"] - 1) // 32  # EOS after each document
    assert train["trained_tokens"] == train["windows"] * 32
    assert record["data"]["validation"]["windows"] >= 1
    assert not (tuned.path / "tokens").exists()  # the token cache is not part of the model


def test_a_saved_adapter_loads_with_peft_alone_outside_gemeingut(adapter, base_dir: Path) -> None:
    from peft import AutoPeftModelForCausalLM

    from gemeingut.model.finetune_base_reference import base_reference

    config = json.loads((adapter.path / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(base_dir.resolve())
    alone = AutoPeftModelForCausalLM.from_pretrained(adapter.path).state_dict()
    reference = PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base_dir), adapter.path)
    assert all(torch.equal(alone[k], v) for k, v in reference.state_dict().items())
    snapshots = "/home/u/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B/snapshots"
    assert base_reference(f"{snapshots}/{'abc123' * 6}abcd") == "Qwen/Qwen2.5-0.5B"  # a commit


def gguf_general(path: Path) -> dict:
    import gguf

    reader = gguf.GGUFReader(path)
    return {k: f.contents() for k, f in reader.fields.items() if k.startswith("general.")}


def test_a_merged_fine_tunes_gguf_names_it_its_licence_and_its_base(merged, tmp_path: Path) -> None:
    """Its folder has no card: name, licence and base model come from finetune.json, as
    llama.cpp's converter writes a fine-tune's; the CLI says so in German."""
    out = tmp_path / "merged.gguf"
    result = CliRunner().invoke(app, ["model", "export", str(merged.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = result.output.strip()
    assert written.startswith(f"✓ GGUF (f16) geschrieben: {out} (20 Tensoren, 0,")
    assert " MB, sha256 " in written
    assert gguf_general(out) == {
        "general.architecture": "llama",
        "general.name": "Winzling-32 (fine-tuned)",
        "general.file_type": 1,
        "general.quantization_version": 2,
        "general.license": "Apache-2.0",
        "general.base_model.count": 1,
        "general.base_model.0.name": "Winzling-32",
    }


def test_a_base_from_the_hub_cache_is_named_in_the_gguf_by_its_hub_id(
    base_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    from gemeingut.model.export import export_gguf

    snapshot = tmp_path / "hub" / "models--example--winzling-32" / "snapshots" / ("0" * 40)
    shutil.copytree(base_dir, snapshot)
    tuned, _ = finetune_stage(at(tmp_path / "ft"), snapshot, data_file, section(merge=True))
    general = gguf_general(Path(export_gguf(tuned.path, tmp_path / "m.gguf", "f32")["path"]))
    assert general["general.base_model.count"] == 1
    assert general["general.base_model.0.name"] == "Winzling 32"
    assert general["general.base_model.0.organization"] == "Example"
    assert general["general.base_model.0.repo_url"] == "https://huggingface.co/example/winzling-32"
