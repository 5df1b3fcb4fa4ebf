"""A weights file whose size does not match its header's tensor offsets is no whole weights
file: the rating does not count it, and says how far it falls short."""

from pathlib import Path

from gemeingut.release.openness.foreign import rate_folder
from tests.release.test_openness_rate import _folder


def _weights(result: dict) -> dict:
    return next(c for c in result["mof"]["components"] if c["name"] == "Model parameters (Final)")


def test_truncated_safetensors_are_not_counted_as_weights(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", qwen=True)
    weights = folder / "model.safetensors"
    whole = weights.stat().st_size
    assert _weights(rate_folder(folder))["present"]
    weights.write_bytes(weights.read_bytes()[:5000])
    part = _weights(rate_folder(folder))
    assert not part["present"]
    assert part["detail"] == (
        "model.safetensors: not a whole safetensors file: 5,000 bytes where its header "
        f"promises {whole:,}; copy or download it again"
    )
