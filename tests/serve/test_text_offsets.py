"""Token offsets from anchored decoding are those of decoding every prefix, for every kind.

The reference is the definition the offsets had before they were made linear: the summed
lengths of the tokens' own texts where those add up to the whole text, else the length of every
decoded prefix; a token that goes on with a character starts where it does. It is compared on
random texts of umlauts, „“, €, CJK and emoji (split into bytes by small vocabularies) and on
random token sequences (broken characters, special tokens), through tokenizers trained here:
byte-level BPE as ours, SentencePiece-style BPE with byte fallback and Llama 2's decoder, and a
unigram model with Metaspace and `clean_up_tokenization_spaces` as T5's. The work, counted in
tokens decoded, grows linearly with the length.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from gemeingut.model.tokenizer import BOS, EOS, PAD, train_tokenizer
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.utf8 import inside_character

WORDS = [
    "Bäckerin", "grüßt", "„die Stadt“", "für", "5 €", "Ähre", "Öl", "Übung", "東京", "日本語の",
    "文章", "😀", "👍🏽", "🇩🇪", "n't", "'s", " ,", " .", "?", "\n", "  ", "Straße", "€€", "x„ä",
    "'", "' '", "n", "'t", "'re", "!", ".",
]  # fmt: skip
CORPUS = ["Die Bäckerin grüßt „die Stadt“ für 5 €.", "Ähre, Öl und Übung", "Er sagt: n't"] * 20
JOINED = " ' .,nts"  # what the clean-up of spaces joins, in runs that go on past a window


def random_text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))


def random_joined(rng: random.Random) -> str:
    return "".join(rng.choice(JOINED + "xä") for _ in range(rng.randint(1, 80)))


def wrapped(tokenizer: Tokenizer, clean_up: bool = False) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token="<unk>",
        clean_up_tokenization_spaces=clean_up,
    )


def byte_level(out: Path) -> PreTrainedTokenizerFast:
    return train_tokenizer(CORPUS, out, vocab_size=300)


def sentencepiece_bytes(out: Path) -> PreTrainedTokenizerFast:
    """As Llama 2's: "▁" for spaces, bytes of unknown characters as `<0xE2>` tokens, and a
    decoder that drops the text's first space."""
    trainer = trainers.BpeTrainer(vocab_size=120, special_tokens=[PAD, BOS, EOS, "<unk>"])
    learner = Tokenizer(models.BPE(unk_token="<unk>"))
    learner.normalizer = normalizers.Sequence(
        [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
    )
    learner.train_from_iterator(CORPUS, trainer=trainer)
    learned = learner.get_vocab()
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    vocab = {token: n for n, token in enumerate([*sorted(learned, key=learned.get), *byte_tokens])}
    merges = [tuple(m) for m in json.loads(learner.model.__getstate__())["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", byte_fallback=True))
    tokenizer.normalizer = learner.normalizer
    tokenizer.decoder = decoders.Sequence(
        [
            decoders.Replace("▁", " "),
            decoders.ByteFallback(),
            decoders.Fuse(),
            decoders.Strip(" ", 1, 0),
        ]
    )
    return wrapped(tokenizer)


def metaspace(out: Path) -> PreTrainedTokenizerFast:
    """As T5's: a unigram model with Metaspace before and after, characters it never saw are
    `<unk>`, and decoding joins " ," to "," and " n't" to "n't" (transformers does so for
    tokenizers other than BPE)."""
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=150, special_tokens=[PAD, BOS, EOS, "<unk>"], unk_token="<unk>"
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return wrapped(tokenizer, clean_up=True)


KINDS: dict[str, Callable[[Path], PreTrainedTokenizerFast]] = {
    "byte-level": byte_level,
    "sentencepiece, byte fallback": sentencepiece_bytes,
    "metaspace": metaspace,
}


@pytest.fixture(scope="module", params=list(KINDS))
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A one-layer Llama for the tokenizer (the offsets need the tokenizer only)."""
    out = tmp_path_factory.mktemp("offsets")
    tokenizer = KINDS[request.param](out / "trained")
    tokenizer.save_pretrained(str(out))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=8,
        intermediate_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
    return TransformersBackend(out, model_name=request.param, device="cpu")


def prefix_offsets(backend: TransformersBackend, ids: list[int], skip: bool) -> list[int]:
    """The definition, as it was computed before (quadratic in the length)."""
    if not ids:
        return []
    tokenizer = backend.tokenizer
    pieces = tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=skip)
    whole = tokenizer.decode(ids, skip_special_tokens=skip)
    if "\ufffd" not in "".join(pieces) and "".join(pieces) == whole:
        offsets = list(itertools.accumulate((len(p) for p in pieces[:-1]), initial=0))
    else:
        prefixes = tokenizer.batch_decode(
            [ids[:n] for n in range(len(ids))], skip_special_tokens=skip
        )
        offsets = [len(text) for text in prefixes]
    inside = inside_character(backend.token_bytes(ids))
    for n in range(1, len(ids)):
        if inside[n]:
            offsets[n] = offsets[n - 1]
    return offsets


def test_offsets_are_those_of_decoded_prefixes(backend: TransformersBackend) -> None:
    rng = random.Random(11)
    texts = [random_text(rng) for _ in range(100)] + [random_joined(rng) for _ in range(100)]
    rows = [backend.tokenize(text, add_special_tokens=rng.random() < 0.5) for text in texts]
    rows += [rng.choices(range(len(backend.tokenizer)), k=rng.randint(1, 60)) for _ in range(100)]
    rows += [[]]
    quadratic = 0  # rows that only decoding every prefix got right before
    for ids, skip in itertools.product(rows, (False, True)):
        expected = prefix_offsets(backend, ids, skip)
        assert backend.text_offsets(ids, skip_special_tokens=skip) == expected, (ids, skip)
        pieces = backend.tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=skip)
        whole = backend.tokenizer.decode(ids, skip_special_tokens=skip)
        quadratic += "".join(pieces) != whole or "\ufffd" in whole
    assert quadratic > len(rows) // 2  # the comparison covers what made offsets hard


def test_a_long_text_across_many_anchors(backend: TransformersBackend) -> None:
    """Every word many times over: hundreds of tokens, decoded from many anchors."""
    ids = backend.tokenize(" ".join(WORDS * 8), add_special_tokens=False)
    assert len(ids) > 150
    offsets = backend.text_offsets(ids, skip_special_tokens=False)
    assert offsets == prefix_offsets(backend, ids, skip=False)


def test_the_work_grows_linearly_with_the_length(
    backend: TransformersBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four times the text, four times the tokens decoded (every prefix: sixteen times)."""
    decoded: list[int] = []
    batch_decode = backend.tokenizer.batch_decode

    def counting(sequences: list[list[int]], **options: bool) -> list[str]:
        decoded.extend(map(len, sequences))
        return batch_decode(sequences, **options)

    monkeypatch.setattr(backend.tokenizer, "batch_decode", counting)
    work = []
    for times in (4, 16):
        ids = backend.tokenize(" ".join(WORDS * times), add_special_tokens=False)
        decoded.clear()
        backend.text_offsets(ids, skip_special_tokens=False)
        work.append(sum(decoded))
    assert work[1] < 5 * work[0]
