import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest
import regex
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

from gemeingut.errors import InputError
from gemeingut.model.export import export_gguf
from gemeingut.model.tokenizer import CHAT_TEMPLATE
from tests.model.tiny_models import N_HEAD, N_KV, german_sentences, make_model

PROBE = "Grüße aus Köln: § 5 UrhG, 3,5 % mehr!"
HEAD_DIM = 8

# The split llama.cpp runs for tokenizer.ggml.pre = "gpt-2", quoted from llama.cpp's source
# (vendored in llama-cpp-python 0.3.36). src/llama-vocab.cpp maps the name to the type:
#     tokenizer_pre == "gpt-2" || ... ) { pre_type = LLAMA_VOCAB_PRE_TYPE_GPT2;
# and gives that type this regex:
#     case LLAMA_VOCAB_PRE_TYPE_GPT2: ... regex_exprs = {
#         "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)", };
# which src/unicode.cpp runs through unicode_regex_split_custom_gpt2, documented there as
#     // GPT2 system regex:
#     //     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# (the custom code also takes the final `|\s+` branch: trailing whitespace).
LLAMA_CPP_GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def exported(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gguf")
    return {
        dtype: Path(export_gguf(tiny_model, out / f"tiny-{dtype}.gguf", dtype)["path"])
        for dtype in ("f32", "f16")
    }


def hf_state(model_dir: Path) -> dict[str, np.ndarray]:
    model = LlamaForCausalLM.from_pretrained(model_dir)
    return {k: v.detach().float().numpy() for k, v in model.state_dict().items()}


def hf_name(gguf_name: str) -> str:
    """The HF tensor a GGUF llama tensor comes from, spelled out independently of the exporter."""
    if gguf_name in ("token_embd.weight", "output_norm.weight", "output.weight"):
        return {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}.get(
            gguf_name.split(".")[0], "lm_head"
        ) + ".weight"
    _, block, part, _ = gguf_name.split(".")
    hf = {
        "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
    }[part]
    return f"model.layers.{block}.{hf}.weight"


def llama_cpp_rows(n_head: int) -> list[int]:
    """Row order of a GGUF q/k weight, as HF row indices: llama.cpp keeps each head's rotary pairs
    (i, i + d/2) adjacent, HF keeps the two halves apart."""
    half = HEAD_DIM // 2
    return [h * HEAD_DIM + j * half + i for h in range(n_head) for i in range(half) for j in (0, 1)]


def to_hf_layout(name: str, data: np.ndarray) -> np.ndarray:
    heads = {"attn_q": N_HEAD, "attn_k": N_KV}.get(name.split(".")[-2])
    if heads is None:
        return data
    hf = np.empty_like(data)
    hf[llama_cpp_rows(heads)] = data
    return hf


def field(reader: gguf.GGUFReader, key: str):
    return reader.fields[key].contents()


def test_f32_export_is_exact_tensor_by_tensor_with_the_qk_permutation_undone(
    tiny_model: Path, exported: dict[str, Path]
) -> None:
    state = hf_state(tiny_model)
    reader = gguf.GGUFReader(exported["f32"])
    names = {t.name for t in reader.tensors}
    assert "output.weight" not in names  # tied: llama.cpp reuses token_embd
    assert names == {gguf_name for gguf_name in names if hf_name(gguf_name) in state}
    assert len(names) == 2 + 2 * 9
    for tensor in reader.tensors:
        assert tensor.tensor_type == gguf.GGMLQuantizationType.F32
        want = state[hf_name(tensor.name)]
        data = np.asarray(tensor.data)
        assert data.shape == want.shape
        assert [int(d) for d in tensor.shape] == list(reversed(want.shape))  # ggml order
        np.testing.assert_array_equal(to_hf_layout(tensor.name, data), want, err_msg=tensor.name)
        if "attn_q" in tensor.name or "attn_k" in tensor.name:
            assert not np.array_equal(data, want)  # the permutation was really applied


def test_f16_export_keeps_1d_tensors_f32_and_matrices_within_f16_rounding(
    tiny_model: Path, exported: dict[str, Path]
) -> None:
    state = hf_state(tiny_model)
    reader = gguf.GGUFReader(exported["f16"])
    assert field(reader, "general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    for tensor in reader.tensors:
        want = state[hf_name(tensor.name)]
        one_d = want.ndim == 1
        expected_type = gguf.GGMLQuantizationType.F32 if one_d else gguf.GGMLQuantizationType.F16
        assert tensor.tensor_type == expected_type, tensor.name
        data = to_hf_layout(tensor.name, np.asarray(tensor.data).astype(np.float32))
        np.testing.assert_allclose(data, want, rtol=2**-11, atol=2**-24, err_msg=tensor.name)
    assert exported["f16"].stat().st_size < exported["f32"].stat().st_size


def test_metadata_describes_the_llama_shape_with_gqa_heads_and_rope_base(
    tiny_model: Path, exported: dict[str, Path]
) -> None:
    reader = gguf.GGUFReader(exported["f32"])
    expected = {
        "general.architecture": "llama",
        "general.file_type": gguf.LlamaFileType.ALL_F32,
        "llama.context_length": 256,
        "llama.embedding_length": 32,
        "llama.block_count": 2,
        "llama.feed_forward_length": 64,
        "llama.attention.head_count": N_HEAD,
        "llama.attention.head_count_kv": N_KV,
        "llama.rope.dimension_count": HEAD_DIM,
        "llama.rope.freq_base": 50_000.0,
        "llama.vocab_size": 400,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "gpt-2",
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.padding_token_id": 0,
        "tokenizer.ggml.eot_token_id": 4,  # <|im_end|> ends an assistant turn
        "tokenizer.ggml.add_bos_token": False,  # our training and generation use no BOS
        "tokenizer.chat_template": CHAT_TEMPLATE,
    }
    assert {key: field(reader, key) for key in expected} == expected
    assert field(reader, "llama.attention.layer_norm_rms_epsilon") == pytest.approx(1e-5)
    assert field(reader, "general.name") == tiny_model.name  # no model card: the folder name


def test_token_types_mark_our_specials_as_control(exported: dict[str, Path]) -> None:
    reader = gguf.GGUFReader(exported["f16"])
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    control = [t for t, kind in zip(tokens, types, strict=True) if kind == gguf.TokenType.CONTROL]
    assert control == ["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    assert set(types) == {gguf.TokenType.CONTROL, gguf.TokenType.NORMAL}


def gguf_tokenizer(path: Path) -> Tokenizer:
    """Rebuild the tokenizer from nothing but the GGUF's vocabulary and merges."""
    reader = gguf.GGUFReader(path)
    tokens = field(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ")) for m in field(reader, "tokenizer.ggml.merges")]
    tokenizer = Tokenizer(models.BPE({t: i for i, t in enumerate(tokens)}, merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    return tokenizer


def test_gguf_vocabulary_tokenises_german_like_the_hf_tokenizer(
    tiny_model: Path, exported: dict[str, Path]
) -> None:
    hf = AutoTokenizer.from_pretrained(tiny_model)
    want = hf(PROBE, add_special_tokens=False)["input_ids"]
    assert gguf_tokenizer(exported["f16"]).encode(PROBE).ids == want
    assert len(want) < len(PROBE.encode())  # merges were used, not only single bytes
    assert hf.decode(want) == PROBE


@pytest.mark.parametrize(
    "text", [PROBE, "Straße  42\n\n\tx  ", "it's 'RE we'll", "Ünïcödé – “quotes” 😀 ½ ٣"]
)
def test_declared_pre_tokenizer_splits_exactly_like_llama_cpps_gpt2_regex(text: str) -> None:
    ours = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    pieces = [piece for piece, _ in ours.pre_tokenize_str(text)]
    to_bytes = bytes_to_unicode()
    expected = [
        "".join(to_bytes[b] for b in p.encode()) for p in regex.findall(LLAMA_CPP_GPT2_SPLIT, text)
    ]
    assert pieces == expected


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table (openai/gpt-2 encoder.py)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def test_untied_head_is_written_as_output_weight(tmp_path: Path) -> None:
    model_dir = make_model(tmp_path / "untied", tied=False)
    summary = export_gguf(model_dir, tmp_path / "untied.gguf", "f32")
    reader = gguf.GGUFReader(tmp_path / "untied.gguf")
    output = next(t for t in reader.tensors if t.name == "output.weight")
    np.testing.assert_array_equal(np.asarray(output.data), hf_state(model_dir)["lm_head.weight"])
    assert summary["tensors"] == 21 and summary["tied_embeddings"] is False


def test_transformers_4_config_and_model_card_are_read(tiny_model: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "v4"
    shutil.copytree(tiny_model, model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    config.pop("rope_parameters")
    config |= {"rope_theta": 123_456.0, "rope_scaling": None, "torch_dtype": config.pop("dtype")}
    (model_dir / "config.json").write_text(json.dumps(config))
    (model_dir / "README.md").write_text(
        "---\nlicense: apache-2.0\nmodel_name: Gemeingut Mini\n---\n# Gemeingut Mini\n"
    )
    summary = export_gguf(model_dir, tmp_path / "v4.gguf")
    reader = gguf.GGUFReader(tmp_path / "v4.gguf")
    assert field(reader, "llama.rope.freq_base") == 123_456.0
    assert field(reader, "general.name") == "Gemeingut Mini"
    assert field(reader, "general.license") == "apache-2.0"
    assert (
        len(summary["sha256"]) == 64 and summary["bytes"] == (tmp_path / "v4.gguf").stat().st_size
    )


LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
    r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")  # digits one by one


@pytest.mark.parametrize(
    ("split", "ignore_merges", "nfc", "pre"),
    [
        (LLAMA3_SPLIT, True, False, "llama-bpe"),  # Llama 3
        (LLAMA3_SPLIT, False, False, "dbrx"),  # OLMo 2's dolma2 tokenizer
        (QWEN2_SPLIT, False, True, "qwen2"),  # Qwen2, with its NFC normalizer
    ],
    ids=["llama-bpe", "dbrx", "qwen2"],
)
def test_split_tokenizers_are_declared_as_the_llama_cpp_pre_tokenizer_that_splits_alike(
    tiny_model: Path, tmp_path: Path, split: str, ignore_merges: bool, nfc: bool, pre: str
) -> None:
    tokenizer = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if nfc:
        tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(regex_pattern(split), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([*german_sentences(400), "Am 12345. Tag: 2024"], trainer=trainer)
    model_dir = tmp_path / f"{pre}-tok"
    shutil.copytree(tiny_model, model_dir)
    tokenizer.save(str(model_dir / "tokenizer.json"))
    summary = export_gguf(model_dir, tmp_path / "t.gguf", "f16")  # verifies its own probe
    assert summary["tokenizer_pre"] == pre
    if importlib.util.find_spec("llama_cpp") is not None:
        text = "Am 12345. Tag 2024: Grüße aus Köln\n\n  Straße\t42 — ok?"
        run = subprocess.run(
            [sys.executable, "-c", LLAMA_CPP_PROBE, str(tmp_path / "t.gguf"), text],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        got = json.loads(run.stdout.splitlines()[-1])["ids"]
        assert got == tokenizer.encode(text, add_special_tokens=False).ids


def test_llama3_rope_scaling_is_written_as_the_factors_transformers_applies(
    tiny_model: Path, tmp_path: Path
) -> None:
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    model_dir = tmp_path / "llama3-rope"
    shutil.copytree(tiny_model, model_dir)
    rope = {
        "rope_type": "llama3",
        "rope_theta": 500_000.0,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 512,  # head_dim 8: one factor of each branch
    }
    break_config(model_dir, rope_parameters=rope)
    export_gguf(model_dir, tmp_path / "l3.gguf", "f16")
    reader = gguf.GGUFReader(tmp_path / "l3.gguf")
    stored = next(t for t in reader.tensors if t.name == "rope_freqs.weight")
    assert stored.tensor_type == gguf.GGMLQuantizationType.F32
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](LlamaConfig.from_pretrained(model_dir), "cpu")
    plain = 1.0 / 500_000.0 ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
    factors = (plain / scaled.double()).numpy()
    assert factors[0] == pytest.approx(1.0) and factors[-1] == pytest.approx(8.0)
    assert 1.0 < factors[1] < 8.0
    np.testing.assert_allclose(np.asarray(stored.data), factors, rtol=1e-5)
    assert field(reader, "llama.rope.freq_base") == 500_000.0


def regex_pattern(pattern: str):
    from tokenizers import Regex

    return Regex(pattern)


def break_config(model_dir: Path, **changes) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps(config | changes))


def break_tokenizer(model_dir: Path, **changes) -> None:
    spec = json.loads((model_dir / "tokenizer.json").read_text())
    (model_dir / "tokenizer.json").write_text(json.dumps(spec | changes))


def without(model_dir: Path, *names: str) -> None:
    for name in names:
        (model_dir / name).unlink()


@pytest.mark.parametrize(
    ("damage", "dtype", "message"),
    [
        (lambda d: without(d, "config.json"), "f16", "keine config.json"),
        (lambda d: without(d, "model.safetensors"), "f16", "keine .*safetensors-Gewichte"),
        (lambda d: without(d, "tokenizer.json"), "f16", "keine tokenizer.json"),
        (
            lambda d: break_config(d, architectures=["GPT2LMHeadModel"], model_type="gpt2"),
            "f16",
            "GPT2LMHeadModel.* lässt sich nicht exportieren",
        ),
        (
            lambda d: break_config(d, rope_parameters={"rope_type": "yarn", "factor": 4.0}),
            "f16",
            "RoPE-Typ „yarn“",
        ),
        (
            lambda d: break_tokenizer(
                d, model={"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}
            ),
            "f16",
            "ist kein BPE",
        ),
        (
            lambda d: break_tokenizer(
                d,
                pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"},
            ),
            "f16",
            "keine, die llama.cpp ausführt",
        ),
        (lambda d: None, "q4_0", "nicht unterstützter GGUF-Datentyp"),
    ],
    ids=["no-config", "no-weights", "no-tokenizer", "gpt2", "yarn", "wordlevel", "metaspace", "q4"],
)
def test_bad_input_is_an_input_error_and_leaves_no_file(
    tiny_model: Path, tmp_path: Path, damage, dtype: str, message: str
) -> None:
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model, model_dir)
    damage(model_dir)
    out = tmp_path / "out" / "model.gguf"
    with pytest.raises(InputError, match=message) as caught:
        export_gguf(model_dir, out, dtype)
    assert caught.value.hint
    assert not out.exists() and not out.with_name("model.gguf.partial").exists()


def test_a_failed_export_keeps_the_previous_file(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.gguf"
    out.write_bytes(b"previous")
    with pytest.raises(InputError):
        export_gguf(tiny_model, out, "bf8")
    model_dir = tmp_path / "huge"
    shutil.copytree(tiny_model, model_dir)
    from safetensors.torch import load_file, save_file

    weights = load_file(model_dir / "model.safetensors")
    weights["model.layers.0.mlp.up_proj.weight"][0, 0] = 1e6  # beyond F16's 65504
    save_file(weights, model_dir / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(InputError, match="F16-Bereichs"):
        export_gguf(model_dir, out, "f16")
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["model.gguf"]


# Runs in a child process: a llama-cpp-python whose bindings do not match its library (0.3.36
# built from PyPI's sdist does this) segfaults, which must fail this test, not end the suite.
LLAMA_CPP_PROBE = """
import json, sys
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, logits_all=True, verbose=False)
ids = llm.tokenize(sys.argv[2].encode(), add_bos=True, special=True)
llm.eval(ids)
print(json.dumps({"ids": ids, "logits": llm.scores[: len(ids)].tolist()}))
"""


def test_llama_cpp_loads_the_gguf_and_its_logits_match_transformers(
    tiny_model: Path, exported: dict[str, Path]
) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (PyPI has no prebuilt wheel)")
    text = f"<|im_start|>user\n{PROBE}<|im_end|>\n<|im_start|>assistant\n"
    ids = AutoTokenizer.from_pretrained(tiny_model)(text, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        want = LlamaForCausalLM.from_pretrained(tiny_model)(torch.tensor([ids])).logits[0].numpy()
    for path in exported.values():
        assert_llama_cpp_matches(path, text, ids, want)


def assert_llama_cpp_matches(path: Path, text: str, ids: list[int], logits: np.ndarray) -> None:
    """llama.cpp, in a child process, tokenises `text` as `ids` and gives `logits`."""
    run = subprocess.run(
        [sys.executable, "-c", LLAMA_CPP_PROBE, str(path), text],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"llama.cpp failed on {path.name}: {run.stderr[-2000:]}"
    got = json.loads(run.stdout.splitlines()[-1])
    # add_bos=True asks for what the GGUF declares (add_bos_token = false): no BOS.
    assert got["ids"] == ids
    # llama.cpp keeps its KV cache in F16, so even the F32 file differs a little.
    np.testing.assert_allclose(got["logits"], logits, atol=0.02 * np.abs(logits).max())


def test_the_cards_licence_name_link_and_base_models_are_written_as_llama_cpp_does(
    tiny_model: Path, tmp_path: Path
) -> None:
    """`license: other` names its terms in license_name and license_link (Qwen's research
    licence); a list of licences is joined; `base_model` ids and URLs become base models."""
    model_dir = shutil.copytree(tiny_model, tmp_path / "qwen-artig")
    link = "https://huggingface.co/Qwen/Qwen2.5-3B/blob/main/LICENSE"
    (model_dir / "README.md").write_text(
        "---\nlicense: other\nlicense_name: qwen-research\n"
        f"license_link: {link}\nmodel_name: Winzig\n"
        "base_model:\n- Qwen/Qwen2.5-3B\n- https://example.org/basis\n---\n# Winzig\n",
        encoding="utf-8",
    )
    export_gguf(model_dir, tmp_path / "a.gguf")
    reader = gguf.GGUFReader(tmp_path / "a.gguf")
    assert field(reader, "general.name") == "Winzig"
    assert field(reader, "general.license") == "other"
    assert field(reader, "general.license.name") == "qwen-research"
    assert field(reader, "general.license.link") == link
    assert field(reader, "general.base_model.count") == 2
    assert field(reader, "general.base_model.0.name") == "Qwen2.5 3B"
    assert field(reader, "general.base_model.0.organization") == "Qwen"
    assert (
        field(reader, "general.base_model.0.repo_url") == "https://huggingface.co/Qwen/Qwen2.5-3B"
    )
    assert field(reader, "general.base_model.1.repo_url") == "https://example.org/basis"
    assert "general.base_model.1.name" not in reader.fields
    (model_dir / "README.md").write_text(
        "---\nlicense:\n- mit\n- cc-by-4.0\n---\n", encoding="utf-8"
    )
    export_gguf(model_dir, tmp_path / "b.gguf", licence="Apache-2.0")
    reader = gguf.GGUFReader(tmp_path / "b.gguf")
    assert field(reader, "general.license") == "Apache-2.0"  # what the user states wins
    export_gguf(model_dir, tmp_path / "c.gguf")
    reader = gguf.GGUFReader(tmp_path / "c.gguf")
    assert field(reader, "general.license") == "mit,cc-by-4.0"
    assert "general.license.name" not in reader.fields and "general.name" in reader.fields


@pytest.mark.parametrize(
    "record, said",
    [
        ({"base_model": {"name": "Basis"}}, "base_model braucht einen Namen und einen Pfad"),
        ({"base_model": ["Basis"]}, "base_model braucht einen Namen und einen Pfad"),
        ([], "finetune.json enthält kein JSON-Objekt"),
    ],
)
def test_a_hand_edited_fine_tune_record_is_an_input_error(
    tiny_model: Path, tmp_path: Path, record: object, said: str
) -> None:
    model_dir = shutil.copytree(tiny_model, tmp_path / "model")
    (model_dir / "finetune.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(InputError, match=said) as caught:
        export_gguf(model_dir, tmp_path / "model.gguf")
    assert "finetune.json" in str(caught.value) and caught.value.hint
