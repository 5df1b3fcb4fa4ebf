"""The matmul attention computes what SDPA computes, and only takes the calls it is fast for."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

from gemeingut.model import attention, machine

CONFIG = LlamaConfig(
    vocab_size=300,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=8,
    num_key_value_heads=2,  # grouped-query: four query heads per key/value head
    max_position_embeddings=512,
)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many attention calls went to SDPA instead of the matmul path."""
    counts = {"sdpa": 0}
    sdpa = attention.sdpa_attention_forward

    def counted(*args: object, **kwargs: object) -> object:
        counts["sdpa"] += 1
        return sdpa(*args, **kwargs)

    monkeypatch.setattr(attention, "sdpa_attention_forward", counted)
    return counts


def _loss_and_grads(
    model: LlamaForCausalLM, ids: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(input_ids=ids, attention_mask=mask, labels=ids, use_cache=False)
    out.loss.backward()
    grads = [p.grad.detach().clone() for p in model.parameters()]
    return out.loss.detach(), out.logits.detach().float(), grads


def _model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(copy.deepcopy(CONFIG))  # the attention choice is set on the config


def test_bf16_training_step_matches_sdpa(calls: dict[str, int]) -> None:
    ids = torch.randint(0, 300, (3, 48))
    reference = _model()
    expected_loss, expected_logits, expected_grads = _loss_and_grads(reference, ids)
    model = _model()
    attention.use_for_training(model, torch.device("cpu"))
    loss, logits, grads = _loss_and_grads(model, ids)
    assert calls["sdpa"] == 0  # every layer took the matmul path
    assert torch.allclose(loss, expected_loss, atol=2e-3)
    assert torch.allclose(logits, expected_logits, atol=3e-2)
    for got, want in zip(grads, expected_grads, strict=True):
        assert torch.allclose(got, want, atol=2e-3, rtol=5e-2)


def test_calls_it_is_not_faster_for_go_to_sdpa_unchanged(calls: dict[str, int]) -> None:
    model = _model()
    attention.use_for_training(model, torch.device("cpu"))
    reference = _model()
    long = torch.randint(0, 300, (1, attention.MAX_MATMUL_LENGTH + 1))
    padded = torch.randint(0, 300, (2, 16))
    mask = torch.ones_like(padded)
    mask[0, :5] = 0  # left padding: a real mask
    for ids, padding in ((long, None), (padded, mask)):
        before = calls["sdpa"]
        got = _loss_and_grads(model, ids, padding)
        assert calls["sdpa"] - before == CONFIG.num_hidden_layers
        want = _loss_and_grads(reference, ids, padding)
        assert torch.equal(got[1], want[1])
    with torch.no_grad():  # fp32: flash attention is as fast
        before = calls["sdpa"]
        model(input_ids=padded)
        assert calls["sdpa"] - before == CONFIG.num_hidden_layers


def test_only_plain_sdpa_self_attention_is_switched(monkeypatch: pytest.MonkeyPatch) -> None:
    eager = LlamaForCausalLM(LlamaConfig(**CONFIG.to_dict(), attn_implementation="eager"))
    attention.use_for_training(eager, torch.device("cpu"))
    assert eager.config._attn_implementation == "eager"  # its own choice (soft-capping, say)
    model = _model()
    attention.use_for_training(model, torch.device("meta"))  # not a CPU: keeps SDPA
    assert model.config._attn_implementation == "sdpa"
    monkeypatch.setattr(attention, "sdpa_attention_forward", lambda *a, **k: ("sdpa", None))
    layer = model.model.layers[0].self_attn
    q, k = torch.randn(1, 8, 6, 8), torch.randn(1, 2, 6, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert attention.matmul_attention(layer, q, k, k, None)[0] != "sdpa"
        for extras in ({"s_aux": torch.zeros(8)}, {"softcap": 50.0}, {"is_causal": False}):
            assert attention.matmul_attention(layer, q, k, k, None, **extras)[0] == "sdpa"
        assert attention.matmul_attention(layer, q[:, :, :1], k, k, None)[0] == "sdpa"  # cache


def test_the_choice_is_not_saved_with_the_model(tmp_path: Path) -> None:
    model = _model()
    attention.use_for_training(model, torch.device("cpu"))
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert attention.NAME not in json.dumps(config)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert loaded.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("native, expected", [(True, "bf16"), (False, "fp32")])
def test_auto_precision_on_cpu_follows_bf16_support(
    monkeypatch: pytest.MonkeyPatch, native: bool, expected: str
) -> None:
    monkeypatch.setattr(machine, "cpu_computes_bf16", lambda: native)
    assert machine.resolve_precision("auto", torch.device("cpu")) == expected
    assert machine.resolve_precision("fp32", torch.device("cpu")) == "fp32"
