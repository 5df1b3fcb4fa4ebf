"""Encoders of other architectures than BERT's embed as sentence-transformers reads them: a
T5's encoder alone (sentence-T5, GTR: `AutoModel` would give the whole encoder-decoder, which
cannot run on a text alone), and a model without a position limit (XLNet, T5: relative
positions) whose tokenizer names none either is served without a limit (`max_seq_length`
None), not refused with a traceback at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import (
    BertTokenizerFast,
    PreTrainedModel,
    T5Config,
    T5EncoderModel,
    XLNetConfig,
    XLNetModel,
)

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.backends.encoder import EncoderBackend
from tests.encoders.tiny_encoders import _wordpiece

SIZE = 16


def t5(vocabulary: int) -> PreTrainedModel:
    config = T5Config(vocab_size=vocabulary, d_model=SIZE, d_kv=8, d_ff=32, num_layers=1,
                      num_heads=2)  # fmt: skip
    return T5EncoderModel(config)


def xlnet(vocabulary: int) -> PreTrainedModel:
    config = XLNetConfig(vocab_size=vocabulary, d_model=SIZE, n_layer=1, n_head=2, d_inner=32)
    return XLNetModel(config)


@pytest.mark.parametrize("make", [t5, xlnet])
def test_an_encoder_of_relative_positions_embeds_any_length(tmp_path: Path, make) -> None:
    tokenizer = BertTokenizerFast(
        tokenizer_object=_wordpiece(), unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )  # fmt: skip
    tokenizer.save_pretrained(tmp_path)
    torch.manual_seed(0)
    make(len(tokenizer)).save_pretrained(tmp_path)
    backend = EncoderBackend(encoder_layout(tmp_path), make.__name__, device="cpu")
    assert backend.context_length is None
    assert backend.tokenizer_info()["model_max_length"] is None
    text = " ".join(["der antrag"] * 400)
    [(vector, count)] = backend.embed([text])
    assert count == 802 and len(vector) == SIZE
    alone = backend.embed(["der antrag"])[0][0]  # the same text's vector, whatever its batch
    together = backend.embed(["der antrag", text])[0][0]
    assert together == pytest.approx(alone, abs=1e-5)
