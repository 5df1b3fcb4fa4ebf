"""The examples a fine-tune held out for validation were never trained on: the memorisation
sample, the span tracing and the overlap check read only what it trained on, in its folder and
in its release bundle alike, drawn again from the seed and counts its record keeps."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from gemeingut.audit.held_out import randperm
from gemeingut.audit.memorisation import sample_prompts
from gemeingut.audit.subject import iter_documents, model_folder, training_files
from gemeingut.errors import InputError
from gemeingut.model.finetune_data import held_out
from tests.release.test_finetune_release import base_folder, fine_tune, release

EXAMPLES = 20  # fine_tune's data: antworten.jsonl, one prompt/completion pair a line


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("held-out")
    return fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")


def _held_lines(tuned: Path) -> set[str]:
    """The data's lines the fine-tune validated on, as its own code chose them."""
    record = json.loads((tuned / "finetune.json").read_text(encoding="utf-8"))
    assert record["data"]["validation"]["examples"] == 2  # 10 % of 20, the default
    chosen = held_out(EXAMPLES, 0.1, record["training"]["seed"])
    return {f"antworten.jsonl:{i + 1}" for i in chosen.nonzero()[0]}


def test_the_memorisation_sample_holds_only_what_the_fine_tune_trained_on(
    tuned: Path, tmp_path: Path
) -> None:
    held = _held_lines(tuned)
    files = model_folder(tuned, None, None).training_files
    ids = [doc["id"] for doc in iter_documents(files)]
    assert len(ids) == EXAMPLES - len(held) and not held & set(ids)
    tokenizer = AutoTokenizer.from_pretrained(tuned)
    prompts, eligible = sample_prompts(files, tokenizer.encode, 100, 2, 2, seed=0)
    assert eligible == len(ids) and {p["document"] for p in prompts} == set(ids)

    bundle = release(tmp_path, tuned)  # the same examples in training-data/finetuning/
    in_bundle = training_files(bundle / "training-data")
    assert [doc["id"] for doc in iter_documents(in_bundle)] == ids
    assert sample_prompts(in_bundle, tokenizer.encode, 100, 2, 2, seed=0)[1] == eligible


def test_data_that_is_not_what_the_fine_tune_read_is_named(tuned: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tuned"
    shutil.copytree(tuned, copy)
    with (copy / "data" / "antworten.jsonl").open("a", encoding="utf-8") as data:
        data.write(json.dumps({"prompt": "Noch eine?", "completion": " Ja."}) + "\n")
    with pytest.raises(InputError, match=r"21 Beispiele, aber .*finetune\.json nennt 20"):
        list(iter_documents(model_folder(copy, None, None).training_files))


def test_data_cut_short_is_named_while_the_held_out_examples_are_counted(
    tuned: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "tuned"
    shutil.copytree(tuned, copy)
    data = copy / "data" / "antworten.jsonl"
    packed = gzip.compress(data.read_bytes())
    data.unlink()
    (copy / "data" / "antworten.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"antworten\.jsonl\.gz lässt sich nach Zeile \d+ nicht"):
        list(iter_documents(model_folder(copy, None, None).training_files))


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1, 2**32 + 7])
def test_the_draw_without_torch_is_the_fine_tunes(seed: int) -> None:
    for count in (*range(0, 40), 97, 1000):
        for fraction in (0.05, 0.1, 0.3):
            chosen = held_out(count, fraction, seed)
            size = int(chosen.sum())
            assert sorted(randperm(count, seed)[:size]) == chosen.nonzero()[0].tolist()
