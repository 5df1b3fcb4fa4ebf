"""Byte-level BPE tokenizer training, saved so that `AutoTokenizer.from_pretrained` loads it.

Byte-level BPE never meets an unknown character (German umlauts, `§`, emoji all fall back to
bytes), and its GPT-2 style pre-tokenizer is one that llama.cpp already knows, which keeps a later
GGUF export possible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

BOS = "<s>"
EOS = "</s>"
PAD = "<pad>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [PAD, BOS, EOS, IM_START, IM_END]

# ChatML: a widely understood template; the assistant turn ends with <|im_end|>, which the
# generation config lists as a stop token next to </s>.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def train_tokenizer(
    texts: Iterable[str], out_dir: Path, vocab_size: int, min_frequency: int = 2
) -> PreTrainedTokenizerFast:
    """Train byte-level BPE on `texts` and save it as a Hugging Face tokenizer in `out_dir`."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_non_empty(texts), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    wrapped.model_max_length = 1_000_000
    out_dir.mkdir(parents=True, exist_ok=True)
    save_tokenizer(wrapped, out_dir)
    return wrapped


# What `from_pretrained` records about how the files were read, not about the tokenizer:
# HF_HUB_OFFLINE sets `local_files_only`, a folder `is_local`. Saved, they would give the same
# tokenizer other bytes on another machine, under an artifact id that names both.
LOADING_KEYS = frozenset(
    {
        "local_files_only", "is_local", "cache_dir", "force_download", "proxies", "token",
        "revision", "subfolder", "trust_remote_code", "_commit_hash", "_from_auto",
    }
)  # fmt: skip


def save_tokenizer(tokenizer: PreTrainedTokenizerBase, out_dir: Path) -> None:
    """`save_pretrained` without the loading settings: the files depend on the tokenizer
    alone, as the trained one's do."""
    kept = tokenizer.init_kwargs
    tokenizer.init_kwargs = {k: v for k, v in kept.items() if k not in LOADING_KEYS}
    try:
        tokenizer.save_pretrained(str(out_dir))
    finally:
        tokenizer.init_kwargs = kept


def _non_empty(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        if text:
            yield text
