import torch
from transformers import LlamaConfig

from gemeingut.model.energy import CPU_WATTS_PER_THREAD, EnergyMeter
from gemeingut.model.flops import (
    Peak,
    counted_flops_per_token,
    measured_peak,
    mfu,
    model_flops_per_token,
)
from gemeingut.model.presets import PRESETS


def small_config(seq_len: int = 64) -> LlamaConfig:
    return LlamaConfig(
        **PRESETS["micro"],
        vocab_size=300,
        max_position_embeddings=seq_len,
        tie_word_embeddings=True,
    )


def test_model_flops_are_6n_plus_attention_and_match_torchs_counter() -> None:
    config = small_config()
    parameters = 2 * (4 * 32 * 32 + 3 * 32 * 64 + 2 * 32) + 32 + 300 * 32
    per_token = model_flops_per_token(config, parameters, seq_len=64)
    assert per_token == 6 * parameters + 12 * 2 * 32 * 64
    counted = counted_flops_per_token(config, seq_len=64)
    assert abs(counted - per_token) / per_token < 0.05  # norms and the embedding lookup differ


def test_peak_is_measured_here_and_mfu_is_achieved_over_peak() -> None:
    peak = measured_peak(torch.device("cpu"), torch.float32)
    assert peak.flops_per_s > 1e8 and "2048x2048 float32" in peak.method
    assert measured_peak(torch.device("cpu"), torch.float32) is peak  # once per process
    assert mfu(1000, 50.0, Peak(1e6, "test"), devices=2) == 0.025


def test_energy_without_codecarbon_is_an_estimate_that_says_so(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_codecarbon(name, *args, **kwargs):
        if name.startswith("codecarbon"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_codecarbon)
    meter = EnergyMeter(cpu_threads=2, gpus=0)
    meter.start()
    record = meter.stop()
    assert record["method"].startswith("estimate")
    assert record["assumptions"]["cpu_watts_per_thread"] == CPU_WATTS_PER_THREAD
    expected = 2 * CPU_WATTS_PER_THREAD * record["seconds_this_run"] / 3.6e6
    rounding = 2 * CPU_WATTS_PER_THREAD * 0.0005 / 3.6e6  # the seconds are kept to the ms
    assert abs(record["kwh_this_run"] - expected) <= rounding + 1e-15
