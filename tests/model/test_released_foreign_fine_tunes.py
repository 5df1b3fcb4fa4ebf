"""A user's fine-tunes of a foreign base (Qwen2), released with the base's Hub id, used as a
new user uses them: a released LoRA adapter is served with its base from the local Hugging Face
cache (offline), or refused with the command that downloads the base; a released model is
exported to GGUF under its release's name and licence, from the release folder as `serve` takes
it; an adapter is exported merged onto its base (found, or given with --base)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import gguf
import httpx
import pytest
import torch

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.model.loading import adapter_base, load_causal_lm
from gemeingut.model.lora import peft_deprecations_quiet
from gemeingut.release.verify_gguf import gguf_problems
from tests.http_server import serving_process
from tests.model.hub_cache import cache_model
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

HUB_ID = "uni-example/qwen2-tiny"
NAME = "qwen-amt"  # the release's name
DOWNLOAD_HINT = f"`hf download {HUB_ID}` oder `huggingface-cli download {HUB_ID}`"


def fine_tune(root: Path, base: Path, out: str, *extra: str) -> Path:
    data = root / "antworten.jsonl"
    lines = (
        json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) for i in range(20)
    )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", root / out, "--steps", "2",
        "--eval-every", "2", "--data-license", "CC0-1.0", "--license", "Apache-2.0", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root / out


def release(root: Path, tuned: Path, out: str) -> Path:
    result = invoke(
        "release", "--finetuned", tuned, "--name", NAME, "--out", root / out,
        "--license", "Apache-2.0", "--base-hub-id", HUB_ID,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root / out


def qwen2_base(folder: Path) -> Path:
    """A tiny Qwen2 as the Hub has them: transformers reads a qwen2 folder's tokenizer with
    Qwen2's own added <|endoftext|>, and the embeddings are padded beyond the vocabulary."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    make_model(folder, model_type="qwen2")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=8, mean_resizing=False)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Qwen2 base with a card, its LoRA adapter and merged fine-tune, each released."""
    root = tmp_path_factory.mktemp("qwen")
    base = qwen2_base(root / "base")
    card = "---\nlicense: apache-2.0\nmodel_name: Qwen2 winzig\n---\n# Qwen2 winzig\n"
    (base / "README.md").write_text(card, encoding="utf-8")
    lora = fine_tune(root, base, "ft-lora")
    merged = fine_tune(root, base, "ft-merged", "--merge")
    return {
        "root": root,
        "base": base,
        "lora": lora,
        "merged": merged,
        "lora_release": release(root, lora, "rel-lora"),
        "merged_release": release(root, merged, "rel-merged"),
    }


def test_a_released_adapter_loads_its_base_from_the_hub_cache(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle names its base by Hub id only; the base is found where peft finds it, in the
    local cache, by the loader that serve and evaluate use and by the audit's lm-eval model."""
    from huggingface_hub import constants
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from gemeingut.audit.capability import folder_model

    model = made["lora_release"] / "bundle" / "model"
    assert json.loads((model / "adapter_config.json").read_text())["base_model_name_or_path"] == (
        HUB_ID
    )
    snapshot = cache_model(made["base"], HUB_ID, tmp_path / "hub")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert adapter_base(model) == snapshot
    assert folder_model(model).args["pretrained"] == snapshot
    merged = load_causal_lm(model).state_dict()
    with peft_deprecations_quiet():
        on_base = AutoModelForCausalLM.from_pretrained(made["base"])
        expected = PeftModel.from_pretrained(on_base, model).merge_and_unload().state_dict()
    assert merged.keys() == expected.keys()
    assert all(torch.equal(merged[k], v) for k, v in expected.items())


def test_serve_answers_with_a_released_adapter_whose_base_is_in_HF_HOME(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_model(made["base"], HUB_ID, tmp_path / "home" / "hub")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))  # the server's process reads it
    with serving_process(str(made["lora_release"]), "amt") as url:
        answer = httpx.post(
            f"{url}/v1/completions",
            json={"model": "amt", "prompt": "Frage 3?", "max_tokens": 3},
            timeout=60,
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["text"] is not None


def test_a_base_missing_from_the_hub_cache_is_said_with_the_command_that_downloads_it(
    made: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "empty-cache").mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = os.environ | {"HF_HUB_CACHE": str(tmp_path / "empty-cache")}
    command = ["-m", "gemeingut.cli", "serve", made["lora_release"], "--port", str(port)]
    refused = subprocess.run(
        [sys.executable, *map(str, command)],
        env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert (
        f"ist ein LoRA-Adapter, dessen Basismodell {HUB_ID} (eine Hugging-Face-Hub-ID) nicht im "
        f"lokalen Hugging-Face-Cache {tmp_path / 'empty-cache'} liegt"
    ) in said
    assert DOWNLOAD_HINT in said
    assert "dorthin zurück" not in said and "Traceback" not in said


def test_a_cache_that_holds_only_the_bases_config_has_not_got_the_base(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`release --base-hub-id` may have read only config.json into the cache: no weights."""
    from huggingface_hub import constants

    cache_model(made["base"], HUB_ID, tmp_path / "hub", files=["config.json"])
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(InputError) as refused:
        adapter_base(made["lora_release"] / "bundle" / "model")
    assert DOWNLOAD_HINT in text(refused.value.explained())


def gguf_general(path: Path) -> dict:
    reader = gguf.GGUFReader(path)
    return {k: f.contents() for k, f in reader.fields.items() if k.startswith("general.")}


def test_a_released_models_gguf_carries_the_releases_name_licence_and_base(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """Exported from the bundle's model folder or from the release folder (as `serve` takes
    it), the GGUF is what `verify` accepts as the bundle's own."""
    folder = invoke("model", "export", made["merged"], "--out", tmp_path / "ft.gguf", "--json")
    assert folder.exit_code == 0, folder.output
    from_folder = gguf_general(tmp_path / "ft.gguf")
    for given in (made["merged_release"] / "bundle" / "model", made["merged_release"]):
        out = tmp_path / f"{given.name}.gguf"
        result = invoke("model", "export", given, "--out", out, "--dtype", "f32")
        assert result.exit_code == 0, result.output
        general = gguf_general(out)
        assert general["general.name"] == NAME
        assert general["general.license"] == from_folder["general.license"] == "Apache-2.0"
        assert general["general.base_model.count"] == from_folder["general.base_model.count"] == 1
        # the Hub id is the publisher's statement at release, not checked: named, not linked
        assert general["general.base_model.0.organization"] == "Uni Example"
        assert "general.base_model.0.repo_url" not in general
    bundle = tmp_path / "bundle"
    shutil.copytree(made["merged_release"] / "bundle", bundle)
    shutil.copy2(out, bundle / "model" / "model.gguf")
    listed = {p.relative_to(bundle).as_posix(): "" for p in bundle.rglob("*") if p.is_file()}
    assert gguf_problems(bundle, listed) == []


def _v_proj(path: Path) -> torch.Tensor:
    """Layer 0's v projection as the GGUF holds it (not permuted for RoPE, f32)."""
    tensor = next(t for t in gguf.GGUFReader(path).tensors if t.name == "blk.0.attn_v.weight")
    return torch.from_numpy(tensor.data.copy())


def test_an_adapter_is_exported_merged_onto_its_base(made: dict[str, Path], tmp_path: Path) -> None:
    """An adapter folder names its base's folder: the GGUF holds the adapter merged onto it."""
    out = tmp_path / "lora.gguf"
    result = invoke("model", "export", made["lora"], "--out", out, "--dtype", "f32")
    assert result.exit_code == 0, result.output
    name = "model.layers.0.self_attn.v_proj.weight"  # a LoRA target the training changed
    merged = load_causal_lm(made["lora"]).state_dict()[name]
    assert not torch.equal(merged, load_causal_lm(made["base"]).state_dict()[name])
    assert torch.equal(_v_proj(out).reshape(merged.shape), merged)


def test_a_released_adapter_is_exported_with_its_base_found_or_given(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its base is named by Hub id: not in the cache, the refusal names the command with
    --base; given with --base, or found in the cache, the GGUF is the release's."""
    from huggingface_hub import constants

    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    out = tmp_path / "rel.gguf"
    refused = invoke("model", "export", made["lora_release"], "--out", out)
    said = " ".join(refused.stderr.split())
    assert refused.exit_code == 2, refused.output
    assert f"gemeingut model export {made['lora_release'] / 'bundle' / 'model'} --base DIR" in said
    assert DOWNLOAD_HINT in said and "Traceback" not in said and not out.exists()
    given = invoke("model", "export", made["lora_release"], "--out", out, "--base", made["base"])
    assert given.exit_code == 0, given.output
    general = gguf_general(out)
    assert general["general.name"] == NAME and general["general.license"] == "Apache-2.0"
    assert "general.base_model.0.repo_url" not in general  # a stated Hub id: not checked
    cache_model(made["base"], HUB_ID, tmp_path / "hub")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    cached = invoke("model", "export", made["lora_release"], "--out", tmp_path / "c.gguf")
    assert cached.exit_code == 0, cached.output
    assert _v_proj(tmp_path / "c.gguf").equal(_v_proj(out))


def test_an_adapter_s_export_refuses_another_base(made: dict[str, Path], tmp_path: Path) -> None:
    other = make_model(tmp_path / "other", model_type="qwen2")  # another model: other files
    result = invoke("model", "export", made["lora"], "--out", tmp_path / "x.gguf", "--base", other)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"--base {other} ist nicht das Basismodell, aus dem der Adapter" in said
    assert not (tmp_path / "x.gguf").exists()


def _changed_copy(base: Path, to: Path) -> Path:
    """`base`'s files with one weight changed: the same shape, other weights."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(base, to)
    weights = load_file(to / "model.safetensors")
    weights["model.layers.0.self_attn.v_proj.weight"] += 1.0
    save_file(weights, to / "model.safetensors", metadata={"format": "pt"})
    return to


def _adapter_naming(adapter: Path, to: Path, base: Path) -> Path:
    """A copy of `adapter` whose record and config name `base` as its folder."""
    shutil.copytree(adapter, to)
    for file, keys in (("finetune.json", ("base_model", "path")),
                       ("adapter_config.json", ("base_model_name_or_path",))):  # fmt: skip
        path = to / file
        if path.is_file():
            record = json.loads(path.read_text(encoding="utf-8"))
            *outer, last = keys
            (record[outer[0]] if outer else record)[last] = str(base)
            path.write_text(json.dumps(record), encoding="utf-8")
    return to


def test_a_found_base_whose_weights_changed_is_not_merged(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base found at its recorded path, or in the Hub cache, is checked against the
    adapter's record as a given one is: another model's weights are refused, no GGUF."""
    from huggingface_hub import constants

    changed = _changed_copy(made["base"], tmp_path / "changed")
    adapter = _adapter_naming(made["lora"], tmp_path / "lora", changed)
    result = invoke("model", "export", adapter, "--out", tmp_path / "x.gguf")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"Das bei {changed} gefundene Basismodell ist nicht das" in said
    assert f"gemeingut model export {adapter} --base DIR" in said and "Traceback" not in said
    assert not (tmp_path / "x.gguf").exists()
    cache_model(changed, HUB_ID, tmp_path / "hub")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    cached = invoke("model", "export", made["lora_release"], "--out", tmp_path / "c.gguf")
    assert cached.exit_code == 2, cached.output
    assert "ist nicht das, aus dem der Adapter" in " ".join(cached.stderr.split())
    assert not (tmp_path / "c.gguf").exists()


def test_an_adapter_without_our_record_is_merged_only_onto_the_base_it_names(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """A peft adapter gemeingut did not train names its base in adapter_config.json only:
    --base of another folder is refused where the named one is here, and a base without the
    layers the adapter was trained on is refused wherever."""
    adapter = tmp_path / "peft"
    shutil.copytree(made["lora"], adapter)
    (adapter / "finetune.json").unlink()
    other = make_model(tmp_path / "other", model_type="qwen2")  # the same shape, other weights
    result = invoke("model", "export", adapter, "--out", tmp_path / "x.gguf", "--base", other)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"--base {other} ist nicht das Basismodell, das der Adapter in" in said
    assert str(made["base"]) in said and not (tmp_path / "x.gguf").exists()
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = "nirgends/basis"  # not here: --base is the one
    config["target_modules"] = ["q_proj", "qkv_proj"]
    (adapter / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    result = invoke("model", "export", adapter, "--out", tmp_path / "x.gguf", "--base", other)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"Das Basismodell {other} hat keine qkv_proj-Schichten" in said


def test_an_adapter_s_export_is_refused_before_merging(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """What the merged folder's export would refuse is refused before the merge: the message
    names the adapter's folder, not a temporary merged one."""
    adapter = tmp_path / "lora"
    shutil.copytree(made["lora"], adapter)
    spec = json.loads((adapter / "tokenizer.json").read_text(encoding="utf-8"))
    spec["model"]["type"] = "WordLevel"
    (adapter / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    result = invoke("model", "export", adapter, "--out", tmp_path / "x.gguf")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"{adapter}:" in said and "gemeingut-export-" not in said


@pytest.mark.parametrize(
    "config",
    [b'{"base_model_name_or_path": ', b"[1, 2]", '{"r": "ä"}'.encode("latin-1"), b"{}"],
    ids=["cut", "list", "latin-1", "no-peft_type"],
)
def test_a_broken_adapter_config_is_said_as_such_with_or_without_base(
    made: dict[str, Path], tmp_path: Path, config: bytes
) -> None:
    """A damaged adapter_config.json is named, with or without --base: not hinted away as a
    missing base (--base cannot mend it), and never peft's traceback while merging."""
    adapter = tmp_path / "lora"
    shutil.copytree(made["lora"], adapter)
    (adapter / "adapter_config.json").write_bytes(config)
    for given in ((), ("--base", made["base"])):
        result = invoke("model", "export", adapter, "--out", tmp_path / "x.gguf", *given)
        said = " ".join(result.stderr.split())
        assert result.exit_code == 2, result.output
        named = "peft" if config == b"{}" else str(adapter / "adapter_config.json")
        assert named in said and str(adapter) in said and "--base DIR" not in said, said
        assert "Traceback" not in said and not (tmp_path / "x.gguf").exists()


def test_an_adapter_is_merged_beside_the_gguf_not_in_the_system_temp_folder(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merged base is as large as the whole model: it is written where the GGUF goes (the
    room the user chose), not in a small /tmp, and removed after."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-temp-folder"))
    out = tmp_path / "out" / "lora.gguf"
    result = invoke("model", "export", made["lora"], "--out", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.parent.iterdir()] == ["lora.gguf"]
