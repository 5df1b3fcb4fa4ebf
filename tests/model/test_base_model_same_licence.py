"""`model finetune --base-license` and `openness rate` decide "the same licence" by one rule
(`data/licence_families.py`): a Llama 3 card, its LICENSE file and a licence the user states
under another of the Llama 3 licence's names agree everywhere, a different licence nowhere."""

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from gemeingut.data.licence_families import same_licence
from gemeingut.errors import InputError
from gemeingut.model.base_model import inspect_base_model
from gemeingut.model.card_header import covers, named_licence, read_card

LLAMA3_TEXT = "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date\n"


def _base(root: Path, header: str) -> Path:
    """A model folder as the Hub lays it out, with a card and the Llama 3 licence text."""
    root.mkdir(parents=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 8}
    (root / "config.json").write_text(json.dumps(config), "utf-8")
    (root / "tokenizer_config.json").write_text("{}", "utf-8")
    save_file({"model.embed_tokens.weight": np.ones((8, 4), dtype=np.float32)},
              str(root / "model.safetensors"))  # fmt: skip
    (root / "README.md").write_text(f"---\n{header}---\n# base\n", "utf-8")
    (root / "LICENSE").write_text(LLAMA3_TEXT, "utf-8")
    return root


@pytest.mark.parametrize("header", ["license: llama3\n", "license: other\nlicense_name: llama3\n"])
@pytest.mark.parametrize("stated", ["llama3", "LicenseRef-llama3", "LicenseRef-Meta-Llama-3"])
def test_a_llama3_base_agrees_with_each_name_of_its_licence(
    tmp_path: Path, header: str, stated: str
) -> None:
    base = _base(tmp_path / "base", header)
    named = named_licence(base, read_card(base))
    assert not named.disagreement  # the card and the LICENSE file agree (as rate reads)
    facts = inspect_base_model(base, stated_license=stated)
    assert facts.license == named.licence  # the base's own licence, not the statement
    assert same_licence(stated, named.licence) == covers(named.licence, stated)


@pytest.mark.parametrize("stated", ["llama2", "LicenseRef-llama3.1", "MIT", "llama3 AND MIT"])
def test_another_licence_stated_for_a_llama3_base_contradicts_it(
    tmp_path: Path, stated: str
) -> None:
    base = _base(tmp_path / "base", "license: llama3\n")
    assert not covers("llama3", stated)
    with pytest.raises(InputError, match=r"widerspricht"):
        inspect_base_model(base, stated_license=stated)


def test_expressions_agree_by_meaning_not_by_spelling() -> None:
    assert same_licence("MIT AND Apache-2.0", "apache-2.0 AND mit")
    assert not same_licence("MIT OR Apache-2.0", "MIT AND Apache-2.0")
