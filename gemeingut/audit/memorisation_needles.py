"""What a byte-level tokenizer's tokens say about the text they come from: what lets `verify`
re-check the memorisation sample without tokenizing the whole training corpus
(`memorisation_trace.py`, `memorisation.sample_prompts`).

For a byte-level BPE tokenizer without a normalizer (ours, GPT-2's, Llama 3's, Qwen2's), the
tokens of a text are its UTF-8 bytes cut into pieces, in order; only added tokens (`</s>`, matched
in the raw text) stand for their own content. So:

- the tokens between two added tokens, decoded, are the document's own text, save a character
  cut apart at either end (decoded as U+FFFD) and a space the pre-tokenizer may put before the
  text: stripped of those, each such piece is a substring of every document whose tokens hold
  the sequence (`pieces`);
- a token sequence covers at most as many characters as its tokens have bytes (`chars`), and a
  text makes no fewer tokens than its bytes over the longest token's (`fewest_tokens`);
- with GPT-2's pre-tokenizer (ours), no token spans a place where a character other than
  whitespace is followed by whitespace: a text cut at such places is tokenized there as the
  whole document is (`cut_at_spaces`), where no added token's content occurs in it.

For any other tokenizer (a normalizer, a pre-tokenizer that drops text, a vocabulary without all
256 bytes) none of this is known: `byte_level_text` gives None, and every document is tokenized.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tokenizers import Tokenizer, pre_tokenizers

from gemeingut.audit.span_trace import REPLACEMENT

_KEEPING_STEPS = frozenset({"ByteLevel", "Digits", "Split", "Punctuation"})


@dataclass(frozen=True)
class ByteLevelText:
    tokenizer: Tokenizer
    added: dict[int, str]  # the added tokens' ids and contents
    longest: int | None  # bytes of the longest token; None where added tokens take whitespace
    cut_at_spaces: bool  # GPT-2's pre-tokenizer, no added token with whitespace in or beside it

    def pieces(self, ids: Sequence[int]) -> list[str]:
        """The pieces of text every document whose tokens hold `ids` holds (none known: an
        empty list)."""
        runs: list[list[int]] = [[]]
        for token in ids:
            if int(token) in self.added:
                runs.append([])
            else:
                runs[-1].append(int(token))
        decoded = (self.tokenizer.decode(run, skip_special_tokens=False) for run in runs if run)
        return [piece for piece in map(_inner, decoded) if piece]

    def chars(self, ids: Sequence[int]) -> int:
        """At most the characters `ids` cover in a text (each byte-level token's character is a
        byte; an unknown id covers none, as no text makes it)."""
        return sum(len(self.tokenizer.id_to_token(int(token)) or "") for token in ids)

    def fewest_tokens(self, text: str) -> int | None:
        """A lower bound of the tokens `text` makes (None: none known)."""
        if self.longest is None:
            return None
        return -(-len(text.encode("utf-8", "surrogatepass")) // self.longest)

    def holds_added(self, text: str) -> bool:
        return any(content in text for content in self.added.values())


def byte_level_text(tokenizer: Tokenizer) -> ByteLevelText | None:
    """The facts above for a byte-level tokenizer; None for any other."""
    spec = json.loads(tokenizer.to_str())
    model, decoder = spec.get("model") or {}, spec.get("decoder") or {}
    if spec.get("normalizer") is not None or decoder.get("type") != "ByteLevel":
        return None
    if model.get("type") != "BPE" or model.get("dropout"):
        return None
    vocab = model.get("vocab") or {}
    if not set(pre_tokenizers.ByteLevel.alphabet()) <= set(vocab):
        return None  # a byte without a token would be dropped or made <unk>
    pre = spec.get("pre_tokenizer")
    if not _keeps_all_text(pre):
        return None
    tokens = spec.get("added_tokens") or []
    added = {int(t["id"]): str(t["content"]) for t in tokens}
    plain = not any(t.get("lstrip") or t.get("rstrip") for t in tokens)
    longest = max([len(token) for token in vocab] + [len(c.encode()) for c in added.values()])
    gpt2 = pre is not None and pre.get("type") == "ByteLevel"
    gpt2 = gpt2 and not pre.get("add_prefix_space") and pre.get("use_regex", True)
    spaced = any(ch.isspace() for c in added.values() for ch in c)
    cut = bool(gpt2 and plain and not spaced)
    return ByteLevelText(tokenizer, added, longest if plain else None, cut)


def _keeps_all_text(pre: dict[str, Any] | None) -> bool:
    """Whether the pre-tokenizer maps to bytes and splits without removing anything."""
    steps = (pre.get("pretokenizers") or []) if pre and pre.get("type") == "Sequence" else [pre]
    return any(s and s.get("type") == "ByteLevel" for s in steps) and all(
        s and s.get("type") in _KEEPING_STEPS and s.get("behavior") != "Removed" for s in steps
    )


def _inner(text: str) -> str:
    """`text` without whitespace and cut characters at its ends."""
    while True:
        stripped = text.strip().strip(REPLACEMENT)
        if stripped == text:
            return text
        text = stripped
