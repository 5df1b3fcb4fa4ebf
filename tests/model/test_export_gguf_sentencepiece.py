"""GGUF export of SentencePiece-style tokenizers (Llama 2, Mistral, Gemma) as a fine-tune's folder
has them: tokenizer.json alone, without the original tokenizer.model. The GGUF's vocabulary must
tokenise as SentencePiece itself does with that tokenizer.model, and, where llama.cpp is
installed, llama.cpp must do so too and compute transformers' logits."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import gguf
import pytest
import torch
from sentencepiece import SentencePieceProcessor
from transformers import AutoModelForCausalLM, AutoTokenizer

from gemeingut.errors import InputError
from gemeingut.model.export import export_gguf
from gemeingut.model.export.probe import PROBE, tokenizer_from_gguf
from tests.model.test_export_gguf import assert_llama_cpp_matches
from tests.model.tiny_models import german_sentences, make_model
from tests.test_cli import invoke

TEXTS = [
    *german_sentences(20, seed=7),
    "  zwei  Leerzeichen\n\nund\tTab am Ende ",
    " Anfang mit Leerzeichen",
    "Zeichen außerhalb des Vokabulars: 🙂, ½, Ω und ẞ",
    "§ 12345 Abs. 2 Satz 3",
    "",
]
HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None
# In a child process (see LLAMA_CPP_PROBE in test_export_gguf.py): llama.cpp's own tokeniser.
LLAMA_CPP_TOKENIZE = """
import json, sys
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], vocab_only=True, verbose=False)
texts = json.loads(sys.stdin.read())
print(json.dumps([llm.tokenize(t.encode(), add_bos=False, special=False) for t in texts]))
"""


@pytest.fixture(scope="module", params=["llama", "mistral", "gemma"])
def spm_export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    model_type = request.param
    folder = tmp_path_factory.mktemp(f"spm-{model_type}")
    model_dir = make_model(
        folder / "model", model_type=model_type, sentencepiece=True, tied=model_type == "gemma"
    )
    original = shutil.move(model_dir / "tokenizer.model", folder / "tokenizer.model")
    summary = export_gguf(model_dir, folder / "model.gguf", "f32")
    return model_type, model_dir, Path(original), Path(summary["path"]), summary


def test_the_vocabulary_is_declared_as_llama_cpps_sentencepiece_vocabulary(spm_export) -> None:
    model_type, _, original, path, summary = spm_export
    reader = gguf.GGUFReader(path)
    field = lambda key: reader.fields[key].contents()  # noqa: E731
    assert field("tokenizer.ggml.model") == "llama"
    assert field("tokenizer.ggml.pre") == summary["tokenizer_pre"] == "default"
    # Gemma's SentencePiece puts no space before the text; Llama 2's and Mistral's do.
    assert field("tokenizer.ggml.add_space_prefix") is (model_type != "gemma")
    assert "tokenizer.ggml.merges" not in reader.fields
    tokens, types = field("tokenizer.ggml.tokens"), field("tokenizer.ggml.token_type")
    assert len(tokens) == len(types) == len(field("tokenizer.ggml.scores"))
    sp = SentencePieceProcessor(model_file=str(original))
    for i in range(sp.get_piece_size()):  # SentencePiece's own piece and kind for every id
        assert tokens[i] == sp.id_to_piece(i)
        if sp.is_byte(i):
            assert types[i] == gguf.TokenType.BYTE
        elif sp.is_unknown(i):
            assert types[i] == gguf.TokenType.UNKNOWN
        elif sp.is_control(i):
            assert types[i] == gguf.TokenType.CONTROL
    assert types.count(gguf.TokenType.BYTE) == 256


def test_the_gguf_tokenises_german_text_as_sentencepiece_does(spm_export) -> None:
    _, model_dir, original, path, _ = spm_export
    sp = SentencePieceProcessor(model_file=str(original))
    from_gguf = tokenizer_from_gguf(gguf.GGUFReader(path))
    hf = AutoTokenizer.from_pretrained(model_dir)
    for text in TEXTS:
        want = sp.encode(text)
        assert from_gguf.encode(text, add_special_tokens=False).ids == want, text
        if not text[:1].isspace():  # transformers puts no "▁" before a leading space
            assert hf(text, add_special_tokens=False)["input_ids"] == want, text


@pytest.mark.skipif(not HAS_LLAMA_CPP, reason="llama-cpp-python is not installed")
def test_llama_cpp_tokenises_as_sentencepiece_and_computes_transformers_logits(
    spm_export,
) -> None:
    _, model_dir, original, path, _ = spm_export
    run = subprocess.run(
        [sys.executable, "-c", LLAMA_CPP_TOKENIZE, str(path)],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    sp = SentencePieceProcessor(model_file=str(original))
    assert json.loads(run.stdout.splitlines()[-1]) == [sp.encode(t) for t in TEXTS]
    text = TEXTS[0]
    ids = AutoTokenizer.from_pretrained(model_dir)(text)["input_ids"]
    with torch.no_grad():
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        want = model(torch.tensor([ids])).logits[0].numpy()
    assert_llama_cpp_matches(path, text, ids, want)


@pytest.mark.parametrize(
    "change",
    [
        {"model": {"byte_fallback": False}},  # unknown characters would be <unk>, not bytes
        {"pre_tokenizer": {"split": True}},  # a split llama.cpp does not make
    ],
    ids=["no-byte-fallback", "metaspace-split"],
)
def test_a_sentencepiece_layout_llama_cpp_runs_differently_is_refused(
    tmp_path: Path, change: dict
) -> None:
    model_dir = make_model(tmp_path / "model", sentencepiece=True)
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    for part, values in change.items():
        spec[part].update(values)
    (model_dir / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(InputError, match="SentencePiece-artiges BPE mit Byte-Fallback"):
        export_gguf(model_dir, tmp_path / "x.gguf", "f32")
    assert not (tmp_path / "x.gguf").exists()


@pytest.fixture(scope="module", params=["mistral", "gemma"])
def trained_export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A Mistral or Gemma whose byte-fallback BPE was trained with 🤗 tokenizers (its byte
    tokens are added as special tokens), exported from its folder."""
    folder = tmp_path_factory.mktemp(f"trained-{request.param}")
    model_dir = make_model(folder / "model", model_type=request.param, byte_fallback=True)
    return model_dir, Path(export_gguf(model_dir, folder / "model.gguf", "f32")["path"])


def test_byte_tokens_a_trainer_added_as_special_tokens_stay_byte_tokens(trained_export) -> None:
    model_dir, path = trained_export
    reader = gguf.GGUFReader(path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    kinds = {t: k for t, k in zip(tokens, types, strict=True)}
    assert all(kinds[f"<0x{i:02X}>"] == gguf.TokenType.BYTE for i in range(256))
    hf = AutoTokenizer.from_pretrained(model_dir)
    from_gguf = tokenizer_from_gguf(reader)
    for text in TEXTS:  # bytes for 🙂, ½, Ω and ẞ, never <unk>
        want = hf(text, add_special_tokens=False)["input_ids"]
        assert from_gguf.encode(text, add_special_tokens=False).ids == want, text


@pytest.mark.skipif(not HAS_LLAMA_CPP, reason="llama-cpp-python is not installed")
def test_llama_cpp_tokenises_a_trained_byte_fallback_bpe_as_transformers(trained_export) -> None:
    model_dir, path = trained_export
    run = subprocess.run(
        [sys.executable, "-c", LLAMA_CPP_TOKENIZE, str(path)],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    hf = AutoTokenizer.from_pretrained(model_dir)
    want = [hf(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    assert json.loads(run.stdout.splitlines()[-1]) == want


def test_a_tokenizer_llama_cpp_would_split_differently_is_one_german_line(
    trained_export, tmp_path: Path
) -> None:
    """A vocabulary token no merge makes: the tokenizer never forms it, llama.cpp (which merges
    any pair whose join is a token) would."""
    model_dir = shutil.copytree(trained_export[0], tmp_path / "model")
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    hf = AutoTokenizer.from_pretrained(model_dir)
    pieces = hf.tokenize(PROBE)
    joined = {"".join(m) for m in spec["model"]["merges"]}
    token = next(p for p in pieces if p in joined)
    spec["model"]["merges"] = [m for m in spec["model"]["merges"] if "".join(m) != token]
    (model_dir / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "x.gguf"
    result = invoke("model", "export", model_dir, "--out", out)
    assert result.exit_code == 2, result.output
    error, hint = result.output.strip().splitlines()
    assert error.startswith(f"Fehler: {model_dir / 'tokenizer.json'}: llama.cpp würde")
    index, token_id = pieces.index(token), spec["model"]["vocab"][token]
    differs = f"Token {index} ist {token_id} {token!r} im GGUF, aber "
    assert f"die Probe {PROBE!r} anders zerlegen: {differs}" in error
    assert "Traceback" not in result.output and hint.startswith("Hinweis:")
    assert not out.exists()
