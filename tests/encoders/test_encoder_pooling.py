"""Pooling as sentence-transformers' `Pooling` does it, beyond CLS and mean (which the rag and
serve tests check): max, the last token, and a prompt left out of the mean where the model's
config says `include_prompt: false` (sentence-transformers masks the prompt's tokens, CLS
included: the prompt's tokenization less its final SEP)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.model.tokenizer import train_tokenizer
from gemeingut.serve.backends.encoder import EncoderBackend, local_backend
from gemeingut.serve.backends.protocol import RequestRejected
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.serve.conftest import sentences

TEXTS = ["query: Wer prüft die Frist?", "Der Bürger stellt den Antrag heute beim Amt."]


def _hidden(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).last_hidden_state, batch["attention_mask"]


def _ours(folder: Path) -> np.ndarray:
    backend = EncoderBackend(encoder_layout(folder), "winzig")
    return np.array([vector for vector, _ in backend.embed(TEXTS)])


@pytest.mark.parametrize("pooling", ["max_tokens", "lasttoken"])
def test_max_and_last_token_pooling(tmp_path: Path, pooling: str) -> None:
    folder = make_sentence_bert(tmp_path / pooling, pooling=pooling, normalize=False)
    hidden, mask = _hidden(folder)
    if pooling == "max_tokens":
        expected = hidden.masked_fill(mask[..., None] == 0, -1e9).max(dim=1).values
    else:
        expected = hidden[torch.arange(len(TEXTS)), mask.sum(dim=1) - 1]
    np.testing.assert_allclose(_ours(folder), expected.numpy(), atol=1e-5)


def test_a_prompt_is_left_out_of_the_mean_where_the_model_says_so(tmp_path: Path) -> None:
    folder = make_sentence_bert(
        tmp_path / "ohne", pooling="mean_tokens", normalize=False, include_prompt=False
    )
    hidden, mask = _hidden(folder)
    prompt_length = len(AutoTokenizer.from_pretrained(folder)("query: ")["input_ids"]) - 1
    kept = mask.clone()
    kept[0, :prompt_length] = 0  # the first text begins with the prompt, the second does not
    weights = kept[..., None].float()
    expected = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
    np.testing.assert_allclose(_ours(folder), expected.numpy(), atol=1e-5)


def test_a_causal_model_with_a_sentence_transformers_layout_embeds_by_its_pooling(
    tmp_path: Path,
) -> None:
    """A decoder shipped as an embedding model (Qwen3-Embedding's layout: a causal LM's
    config, modules.json, last-token pooling, Normalize) is an encoder here: its vectors are
    the base model's last token, normalised, and it writes no text."""
    folder = tmp_path / "decoder-embedding"
    tokenizer = train_tokenizer(sentences(), folder, vocab_size=400)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    kind = "sentence_transformers.models."
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": kind + "Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": kind + "Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": kind + "Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "lasttoken"}))
    backend = local_backend(folder, "decoder")
    assert isinstance(backend, EncoderBackend)
    texts = ["Die Katze sieht den Garten.", "Der Hund"]
    ours = np.array([vector for vector, _ in backend.embed(texts)])
    batch = AutoTokenizer.from_pretrained(folder)(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = AutoModel.from_pretrained(folder).eval()(**batch).last_hidden_state
    last = hidden[torch.arange(len(texts)), batch["attention_mask"].sum(dim=1) - 1]
    expected = torch.nn.functional.normalize(last, dim=-1).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    with pytest.raises(RequestRejected):
        backend.apply_chat_template([{"role": "user", "content": "Hallo"}])
