"""Tiny embedding models written as their authors ship them: a BERT with a sentence-transformers
layout (modules.json, 1_Pooling/config.json, prompts in config_sentence_transformers.json) and
a model2vec static folder; and the vectors computed directly from their weights, the way
sentence-transformers and model2vec compute them, to check ours against."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, BertTokenizerFast

WORDS = [
    *("der", "die", "das", "und", "ist", "ein", "eine", "nicht", "zu", "von", "mit", "den"),
    *("dem", "des", "für", "auf", "im", "antrag", "amt", "bürger", "frist", "gesetz"),
    *("bescheid", "prüft", "heute", "wird", "stellt", "query", "passage", ":", ".", ","),
]
PROMPTS = {"query": "query: ", "passage": "passage: "}


def _wordpiece() -> Tokenizer:
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    for word in list(WORDS):
        vocab.setdefault("##" + word[-2:], len(vocab))
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return tokenizer


def make_sentence_bert(
    folder: Path, pooling: str = "cls_token", normalize: bool = True, include_prompt: bool = True
) -> Path:
    """A 2-layer BERT in `folder` with sentence-transformers' files: `pooling` one of its
    `pooling_mode_*` names, the E5 prompts, `max_seq_length` 24."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(
        tokenizer_object=_wordpiece(), unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )  # fmt: skip
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=48, max_position_embeddings=64,
    )  # fmt: skip
    BertModel(config).save_pretrained(folder)
    kind = "sentence_transformers.models."
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": kind + "Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": kind + "Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": kind + "Normalize"})
        (folder / "2_Normalize").mkdir()
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    flags = {f"pooling_mode_{m}": m == pooling for m in
             ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens",
              "weightedmean_tokens", "lasttoken")}  # fmt: skip
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, **flags, "include_prompt": include_prompt})
    )
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 24, "do_lower_case": False})
    )
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": PROMPTS, "default_prompt_name": None})
    )
    return folder


def sentence_bert_vectors(folder: Path, texts: list[str], prompt: str = "") -> np.ndarray:
    """What sentence-transformers' `encode(texts, prompt=prompt)` gives for the folder of
    `make_sentence_bert`: its tokenizer (cut at 24 tokens), the model, CLS or mean pooling as
    the Pooling config says, normalised where modules.json has Normalize."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    batch = tokenizer([prompt + t for t in texts], padding=True, truncation=True,
                      max_length=24, return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    if pooling["pooling_mode_cls_token"]:
        pooled = hidden[:, 0]
    else:
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
    if "Normalize" in (folder / "modules.json").read_text():
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return pooled.numpy()


def make_model2vec(folder: Path, normalize: bool = True) -> Path:
    """A model2vec folder: a WordPiece tokenizer.json, a random table of 16 numbers per token
    and per-token weights, config.json with model_type model2vec."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _wordpiece()
    tokenizer.post_processor = None
    tokenizer.save(str(folder / "tokenizer.json"))
    rng = np.random.default_rng(0)
    size = tokenizer.get_vocab_size()
    save_file(
        {"embeddings": rng.normal(size=(size, 16)).astype(np.float32),
         "weights": rng.uniform(0.5, 2.0, size=size).astype(np.float32)},
        str(folder / "model.safetensors"),
    )  # fmt: skip
    (folder / "config.json").write_text(json.dumps(
        {"model_type": "model2vec", "architectures": ["StaticModel"], "hidden_dim": 16,
         "normalize": normalize, "max_length": 512}
    ))  # fmt: skip
    return folder


def model2vec_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    """model2vec's `encode`: tokens without special ones, the unknown token left out, the
    weighted mean of their rows, normalised as config.json says."""
    from safetensors.numpy import load_file

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tensors = load_file(str(folder / "model.safetensors"))
    unknown = tokenizer.token_to_id("[UNK]")
    normalize = json.loads((folder / "config.json").read_text())["normalize"]
    rows = []
    for text in texts:
        ids = [i for i in tokenizer.encode(text, add_special_tokens=False).ids if i != unknown]
        vector = (tensors["embeddings"][ids] * tensors["weights"][ids][:, None]).mean(0)
        rows.append(vector / np.linalg.norm(vector) if normalize else vector)
    return np.asarray(rows)
