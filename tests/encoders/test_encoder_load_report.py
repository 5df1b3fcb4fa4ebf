"""A causal LM's folder with a sentence-transformers layout is read as an encoder (the
transformer without its head): transformers' report that the head's weights were left out is
expected and not printed; a report of weights that are missing is printed as before."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

from gemeingut.model.loading import pretrained_encoder


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def said() -> Iterator[_Said]:
    """What transformers' loader says (its report is a warning of this logger)."""
    handler = _Said()
    reporter = logging.getLogger("transformers.modeling_utils")
    reporter.addHandler(handler)
    yield handler
    reporter.removeHandler(handler)


def _causal_with_modules(folder: Path) -> Path:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False,
    )  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(folder)
    kind = "sentence_transformers.models."
    modules = [{"idx": 0, "name": "0", "path": "", "type": kind + "Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": kind + "Pooling"}]  # fmt: skip
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "lasttoken"}))
    return folder


def test_a_causal_folder_loads_without_the_heads_report(tmp_path: Path, said: _Said) -> None:
    folder = _causal_with_modules(tmp_path / "causal")
    model = pretrained_encoder(folder)
    assert not [line for line in said.lines if "lm_head" in line], said.lines
    assert type(model).__name__ == "LlamaModel"


def test_missing_weights_are_still_reported(tmp_path: Path, said: _Said) -> None:
    folder = tmp_path / "bert"
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=24)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    grown = json.loads((folder / "config.json").read_text()) | {"num_hidden_layers": 2}
    (folder / "config.json").write_text(json.dumps(grown))  # its second layer has no weights
    pretrained_encoder(folder)
    assert [line for line in said.lines if "LOAD REPORT" in line and "MISSING" in line]
