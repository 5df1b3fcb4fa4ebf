"""A LoRA adapter fine-tuned from a base in the Hugging Face cache names it as peft users do: by
its Hub id and the revision it was trained on, so peft loads the adapter alone from the cache
(offline), even after the Hub's `main` has moved on to other weights."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import LlamaForCausalLM

from gemeingut.model.lora import peft_deprecations_quiet
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

HUB_ID = "uni-example/winzling"
TRAINED_ON = "1" * 40  # the revision the fine-tune starts from
NEWER = "2" * 40  # what `main` names since
LOAD = """
import sys, torch
from peft import AutoPeftModelForCausalLM
adapter, out = sys.argv[1:]
torch.save(AutoPeftModelForCausalLM.from_pretrained(adapter).state_dict(), out)
"""


def snapshot(cache: Path, revision: str) -> Path:
    return cache / f"models--{HUB_ID.replace('/', '--')}" / "snapshots" / revision


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding two revisions of a tiny Llama, `main` naming the newer."""
    root = tmp_path_factory.mktemp("hub")
    shutil.copytree(make_model(root / "source"), snapshot(root / "hub", TRAINED_ON))
    newer = LlamaForCausalLM.from_pretrained(snapshot(root / "hub", TRAINED_ON))
    with torch.no_grad():
        for parameter in newer.parameters():
            parameter.add_(0.5)
    shutil.copytree(snapshot(root / "hub", TRAINED_ON), snapshot(root / "hub", NEWER))
    newer.save_pretrained(snapshot(root / "hub", NEWER))
    refs = snapshot(root / "hub", NEWER).parent.parent / "refs"
    refs.mkdir()
    (refs / "main").write_text(NEWER, encoding="utf-8")
    return root / "hub"


@pytest.fixture(scope="module")
def adapter(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fine-tuned as a user does it, from inside the cache with a relative path."""
    root = tmp_path_factory.mktemp("ft")
    data = root / "antworten.jsonl"
    lines = (
        json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) for i in range(20)
    )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    here = Path.cwd()
    os.chdir(snapshot(cache, TRAINED_ON).parent)
    try:
        result = invoke(
            "model", "finetune", TRAINED_ON, "--data", data, "--out", root / "ft", "--steps", "2",
            "--eval-every", "2", "--data-license", "CC0-1.0", "--license", "MIT",
            "--base-license", "MIT",
        )  # fmt: skip
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return root / "ft"


def test_the_adapter_names_its_cached_base_by_hub_id_and_revision(adapter: Path) -> None:
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    assert (config["base_model_name_or_path"], config["revision"]) == (HUB_ID, TRAINED_ON)
    record = json.loads((adapter / "finetune.json").read_text(encoding="utf-8"))
    assert record["base_model"]["name"] == HUB_ID  # not the revision's hash
    assert record["stats"]["base_model"] == HUB_ID


def test_peft_loads_the_adapter_alone_on_the_revision_it_was_trained_on(
    adapter: Path, cache: Path, tmp_path: Path
) -> None:
    from peft import PeftModel

    moved = shutil.copytree(adapter, tmp_path / "elsewhere")  # no folder of ours is followed
    environment = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(moved), str(tmp_path / "alone.pt")],
        env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    alone = torch.load(tmp_path / "alone.pt")
    base = LlamaForCausalLM.from_pretrained(snapshot(cache, TRAINED_ON))
    with peft_deprecations_quiet():
        expected = PeftModel.from_pretrained(base, adapter).state_dict()
    assert alone.keys() == expected.keys()
    assert all(torch.equal(alone[k], v) for k, v in expected.items())
