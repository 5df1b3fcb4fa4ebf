"""The bytes each token of a vocabulary stands for, where its text cannot say them.

A byte-level BPE token (GPT-2, Llama 3, Qwen, our own tokenizer) or a byte-fallback token
(`<0xC3>` of SentencePiece models) may hold part of a character: decoded alone it reads as
U+FFFD, and its bytes are lost. They are read here from the token's name in the vocabulary, as
the tokenizer's decoder would map it, so that a client gets a token's real bytes (OpenAI's
`bytes` field) and the sampler can tell which tokens continue a character (`utf8.py`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from gemeingut.serve.backends.utf8 import whole_text

_BYTE_FALLBACK = re.compile(r"<0x([0-9A-Fa-f]{2})>")


def vocabulary_bytes(tokenizer: Any) -> list[bytes | None]:
    """Per token id: its bytes where its name maps to them (byte-level or byte-fallback
    tokens, with the decoders that say so), None for special tokens and for tokens whose
    decoded text is their whole meaning (word pieces, SentencePiece pieces)."""
    kinds = _decoder_kinds(tokenizer)
    special = set(tokenizer.all_special_ids)
    names = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    to_byte = _byte_level_alphabet() if "ByteLevel" in kinds else {}
    found: list[bytes | None] = []
    for token_id, name in enumerate(names):
        if token_id in special or not name:
            found.append(None)
        elif to_byte and all(c in to_byte for c in name):
            found.append(bytes(to_byte[c] for c in name))
        elif "ByteFallback" in kinds and (match := _BYTE_FALLBACK.fullmatch(name)):
            found.append(bytes([int(match.group(1), 16)]))
        else:
            found.append(None)
    return found


def byte_fallback(name: str | None) -> bool:
    """Whether a token's name is that of a byte-fallback token (`<0xC3>`): a decoder decodes
    a run of them together, so their text depends on their neighbours'."""
    return name is not None and _BYTE_FALLBACK.fullmatch(name) is not None


def _decoder_kinds(tokenizer: Any) -> set[str]:
    """The types of the fast tokenizer's decoder and of the decoders in its sequence."""
    decoder = getattr(getattr(tokenizer, "backend_tokenizer", None), "decoder", None)
    if decoder is None:
        return set()
    described = json.loads(decoder.__getstate__())
    parts = described.get("decoders") or [described]
    return {part.get("type", "") for part in parts if isinstance(part, dict)}


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's printable stand-ins for the 256 bytes, each mapped to its byte."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}


def token_name(text: str, data: bytes, prefix: str = "bytes:") -> str:
    """A token as a client reads it: its own text, or where that is only part of a character
    (U+FFFD, which every such token would read as) its bytes escaped after `prefix`, as
    OpenAI writes them (`bytes:\\xe2\\x80` in legacy completions, `\\xe2\\x80` in chat). So two
    different tokens never read the same, and a client can take the bytes back."""
    if "\ufffd" not in text or whole_text(data):
        return text
    return prefix + "".join(f"\\x{byte:02x}" for byte in data)
