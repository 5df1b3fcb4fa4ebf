"""The proof that llama.cpp tokenises as the Hugging Face tokenizer does.

A tokenizer rebuilt from the GGUF's keys alone must split a probe (umlauts, §, digits,
whitespace runs, chat tokens) into the ids the HF tokenizer gives: a wrong pre-tokenizer or
merges the vocabulary cannot express would otherwise change every prompt the model sees.
"""

from __future__ import annotations

from typing import Any

import gguf
from tokenizers import Regex, Tokenizer, models, pre_tokenizers

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.export.spm import spm_tokenizer
from gemeingut.model.export.tokenizer import PRE_IGNORES_MERGES, PRE_SPLIT

PROBE = (
    "Grüße aus Köln: § 5 UrhG, 3,5 % mehr!\n\n  Straße\t42 — ok?  <|im_start|>user\nJa<|im_end|>"
)


def check_probe(from_gguf: Tokenizer, tokenizer: dict[str, Any]) -> None:
    """llama.cpp must split the probe into the tokens the HF tokenizer gives: a tokenizer whose
    merges its vocabulary cannot express would change every prompt the model sees."""
    got = from_gguf.encode(PROBE, add_special_tokens=False)
    want = tokenizer["hf"].encode(PROBE, add_special_tokens=False)
    if got.ids == want.ids:
        return
    shared = min(len(got.ids), len(want.ids))
    at = next((i for i in range(shared) if got.ids[i] != want.ids[i]), shared)
    raise InputError(
        _(
            "{tokenizer}: llama.cpp would tokenise the probe {probe} differently: token {index} "
            "is {gguf} in the GGUF but {hf} in the tokenizer",
            tokenizer=str(tokenizer["file"]),
            probe=repr(PROBE),
            index=str(at),
            gguf=_piece(got, at),
            hf=_piece(want, at),
        ),
        _(
            "the tokenizer's merges do not follow from its vocabulary as llama.cpp's "
            "{kind} tokenizer needs; convert it with llama.cpp's convert_hf_to_gguf.py and "
            "compare its tokens, or use a tokenizer made by `gemeingut tokenizer train`",
            kind=tokenizer["kind"],
        ),
    )


def _piece(encoding: Any, index: int) -> str:
    """Token `index` of `encoding` as `id 'piece'`, or "—" past its last token."""
    if index >= len(encoding.ids):
        return "—"
    return f"{encoding.ids[index]} {encoding.tokens[index]!r}"


def tokenizer_from_gguf(reader: gguf.GGUFReader) -> Tokenizer:
    """A `tokenizers` tokenizer built only from the GGUF's vocabulary and declared kind: a BPE
    with the declared pre-tokenizer and merges, or for an SPM vocabulary one that merges as
    llama.cpp does (`spm.py`); control tokens split out first as llama.cpp does."""
    keys = gguf.Keys.Tokenizer
    tokens = reader.fields[keys.LIST].contents()
    types = reader.fields[keys.TOKEN_TYPE].contents()
    if reader.fields[keys.MODEL].contents() == "llama":
        scores = reader.fields[keys.SCORES].contents()
        return spm_tokenizer(tokens, scores, types, reader.fields[keys.ADD_PREFIX].contents())
    merges = [tuple(m.split(" ", 1)) for m in reader.fields[keys.MERGES].contents()]
    pre = reader.fields[keys.PRE].contents()
    vocab = {tok: i for i, tok in enumerate(tokens)}
    bpe = models.BPE(vocab, merges, ignore_merges=PRE_IGNORES_MERGES[pre])
    tok = Tokenizer(bpe)
    if pre == "gpt-2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(PRE_SPLIT[pre]), "isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    kinds = list(zip(tokens, types, strict=True))
    tok.add_special_tokens([t for t, kind in kinds if kind == gguf.TokenType.CONTROL])
    tok.add_tokens([t for t, kind in kinds if kind == gguf.TokenType.USER_DEFINED])
    return tok
