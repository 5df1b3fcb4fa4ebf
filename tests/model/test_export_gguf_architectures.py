"""GGUF export of the architectures besides Llama that users bring: Mistral, Qwen2, Gemma and
OLMo 2, each read back tensor by tensor against a mapping spelled out here (not the exporter's),
and run by llama.cpp where it is installed."""

import importlib.util
import json
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

from gemeingut.errors import InputError
from gemeingut.model.export import export_gguf
from tests.model.test_export_gguf import PROBE, assert_llama_cpp_matches, to_hf_layout
from tests.model.tiny_models import make_model

# GGUF block tensor -> HF module, per llama.cpp's tensor names for each architecture.
COMMON = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
PRE_NORM = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
OLMO2_NORMS = {
    "post_attention_norm": "post_attention_layernorm",
    "post_ffw_norm": "post_feedforward_layernorm",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
}
# model_type -> (GGUF architecture, block tensors, q/k rows permuted, offset added to norms)
EXPECTED = {
    "mistral": ("llama", COMMON | PRE_NORM, True, 0.0),
    "qwen2": ("qwen2", COMMON | PRE_NORM, False, 0.0),
    "gemma": ("gemma", COMMON | PRE_NORM, False, 1.0),
    "olmo2": ("olmo2", COMMON | OLMO2_NORMS, False, 0.0),
}


def hf_tensor(gguf_name: str, blocks: dict[str, str]) -> str:
    top = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
    parts = gguf_name.split(".")
    if parts[0] in top:
        return f"{top[parts[0]]}.{parts[1]}"
    return f"model.layers.{parts[1]}.{blocks[parts[2]]}.{parts[3]}"


@pytest.fixture(scope="module", params=list(EXPECTED))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    model_type = request.param
    folder = tmp_path_factory.mktemp(model_type)
    model_dir = make_model(folder / "model", model_type=model_type, tied=model_type == "gemma")
    summary = export_gguf(model_dir, folder / "model.gguf", "f32", licence="apache-2.0")
    return model_type, model_dir, Path(summary["path"]), summary


def test_every_tensor_reads_back_as_llama_cpp_expects_it(exported) -> None:
    model_type, model_dir, path, summary = exported
    arch, blocks, permuted, norm_offset = EXPECTED[model_type]
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    reader = gguf.GGUFReader(path)
    assert reader.fields["general.architecture"].contents() == arch
    assert reader.fields["general.license"].contents() == "apache-2.0"
    assert reader.fields[f"{arch}.block_count"].contents() == 2
    names = [t.name for t in reader.tensors]
    sources = {hf_tensor(n, blocks) for n in names}
    tied = model.config.tie_word_embeddings
    # Every HF tensor is written once (a tied head is token_embd itself), nothing else.
    assert sources == set(state) - ({"lm_head.weight"} if tied else set())
    for tensor in reader.tensors:
        want = state[hf_tensor(tensor.name, blocks)]
        data = np.asarray(tensor.data)
        if permuted:
            data = to_hf_layout(tensor.name, data)
        if tensor.name.endswith("norm.weight"):
            want = want + np.float32(norm_offset)
        np.testing.assert_array_equal(data, want, err_msg=tensor.name)
    if model_type == "qwen2":
        assert {"blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias"} <= set(names)
    assert summary["tensors"] == len(names)


@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python is not installed (PyPI has no prebuilt wheel)",
)
def test_llama_cpp_runs_the_gguf_with_the_logits_of_transformers(exported) -> None:
    _, model_dir, path, _ = exported
    text = f"<|im_start|>user\n{PROBE}<|im_end|>\n<|im_start|>assistant\n"
    # The file's tokenizer: transformers 5 swaps in Qwen2's own split for a qwen2 config.
    ids = Tokenizer.from_file(str(model_dir / "tokenizer.json")).encode(text).ids
    with torch.no_grad():
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        want = model(torch.tensor([ids])).logits[0].numpy()
    assert_llama_cpp_matches(path, text, ids, want)


def test_mistral_declares_its_sliding_window_as_the_context(tmp_path: Path) -> None:
    model_dir = make_model(tmp_path / "mistral", model_type="mistral")
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps(config | {"sliding_window": 64}))
    export_gguf(model_dir, tmp_path / "m.gguf", "f32")
    assert gguf.GGUFReader(tmp_path / "m.gguf").fields["llama.context_length"].contents() == 64


@pytest.mark.parametrize(
    ("model_type", "change", "message"),
    [
        ("qwen2", {"use_sliding_window": True}, "Sliding-Window-Attention"),
        ("gemma", {"hidden_activation": "relu"}, "hidden_act „relu“"),
        ("olmo2", {"architectures": ["Olmo3ForCausalLM"]}, "„Olmo3ForCausalLM“ lässt sich nicht"),
        ("gemma", {"tie_word_embeddings": False}, "ungebundenen lm_head"),
    ],
    ids=["qwen2-sliding", "gemma-activation", "olmo3", "gemma-untied"],
)
def test_what_llama_cpp_would_run_differently_is_refused(
    tmp_path: Path, model_type: str, change: dict, message: str
) -> None:
    model_dir = make_model(
        tmp_path / model_type, model_type=model_type, tied=change.get("tie_word_embeddings", True)
    )
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps(config | change))
    with pytest.raises(InputError, match=message):
        export_gguf(model_dir, tmp_path / "x.gguf", "f32")
    assert not (tmp_path / "x.gguf").exists()
