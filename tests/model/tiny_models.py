"""Tiny models with our tokenizer, saved as Hugging Face folders, for model-stage tests: Llama by
default, or another architecture llama.cpp runs (Mistral, Qwen2, Gemma, OLMo 2)."""

import random
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    GemmaConfig,
    GemmaTokenizer,
    LlamaConfig,
    LlamaTokenizer,
    MistralConfig,
    Olmo2Config,
    PretrainedConfig,
    PreTrainedTokenizerBase,
    Qwen2Config,
)

from gemeingut.model.tokenizer import train_tokenizer

N_HEAD, N_KV = 4, 2
CONFIGS: dict[str, type[PretrainedConfig]] = {
    "llama": LlamaConfig,
    "mistral": MistralConfig,
    "qwen2": Qwen2Config,
    "gemma": GemmaConfig,
    "olmo2": Olmo2Config,
}
WORDS = ["Grüße", "aus", "Köln", "Straße", "Bürgeramt", "prüft", "§", "UrhG", "Prozent", "mehr"]


def german_sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{' '.join(rng.choices(WORDS, k=6))}: § {rng.randint(1, 99)} UrhG, "
        f"{rng.randint(1, 9)},{rng.randint(0, 9)} % mehr!"
        for _ in range(n)
    ]


def make_model(
    folder: Path,
    tied: bool = True,
    rope_theta: float = 50_000.0,
    model_type: str = "llama",
    sentencepiece: bool = False,
    byte_fallback: bool = False,
) -> Path:
    """`sentencepiece`: the tokenizer of Llama 2, Mistral and Gemma (a SentencePiece BPE with
    byte fallback, saved by transformers as tokenizer.json) instead of our byte-level BPE;
    `byte_fallback`: such a tokenizer trained with 🤗 tokenizers instead."""
    if sentencepiece:
        tokenizer = train_sentencepiece(folder, space_prefix=model_type != "gemma")
    elif byte_fallback:
        tokenizer = train_byte_fallback_bpe(folder, space_prefix=model_type != "gemma")
    else:
        tokenizer = train_tokenizer(german_sentences(400), folder, vocab_size=400)
    config = CONFIGS[model_type](
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=N_HEAD,
        num_key_value_heads=N_KV,
        head_dim=32 // N_HEAD,
        max_position_embeddings=256,
        rms_norm_eps=1e-5,
        rope_theta=rope_theta,
        tie_word_embeddings=tied,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():  # non-trivial norms and biases, so a swapped or dropped one would show
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
            elif name.endswith(".bias"):
                p.uniform_(-0.5, 0.5)
    model.save_pretrained(folder)
    return folder


def train_sentencepiece(folder: Path, space_prefix: bool) -> PreTrainedTokenizerBase:
    """A SentencePiece BPE trained as Llama 2's was (identity normaliser, byte fallback, split
    digits), converted and saved by transformers as a Hub folder has it; Gemma's puts no space
    before the text."""
    import sentencepiece

    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(german_sentences(400)), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "tokenizer"),
        vocab_size=400,
        model_type="bpe",
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        split_digits=True,
        add_dummy_prefix=space_prefix,
        character_coverage=1.0,
        minloglevel=2,
    )
    corpus.unlink()
    (folder / "tokenizer.vocab").unlink()
    tokenizer_class = LlamaTokenizer if space_prefix else GemmaTokenizer
    tokenizer = tokenizer_class.from_pretrained(folder)
    tokenizer.pad_token = tokenizer.unk_token
    tokenizer.save_pretrained(folder)
    return tokenizer


def train_byte_fallback_bpe(folder: Path, space_prefix: bool) -> PreTrainedTokenizerBase:
    """A BPE with byte fallback over "▁"-for-space text trained with 🤗 tokenizers, as one makes
    a Mistral- or Gemma-style tokenizer without SentencePiece: its trainer adds the 256 byte
    tokens as special tokens."""
    from tokenizers import Tokenizer, decoders, models, normalizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    prefix = [normalizers.Prepend("▁")] if space_prefix else []
    bpe.normalizer = normalizers.Sequence([*prefix, normalizers.Replace(" ", "▁")])
    bpe.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    specials = ["<unk>", "<s>", "</s>", *(f"<0x{i:02X}>" for i in range(256))]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials)
    bpe.train_from_iterator(german_sentences(400), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.pad_token = tokenizer.unk_token
    tokenizer.save_pretrained(folder)
    return tokenizer
