"""A weights file cut short (an interrupted copy or download) ends an audit in one German error
that names the file and says to fetch it again: no traceback of safetensors."""

from __future__ import annotations

from pathlib import Path

from tests.audit.tiny_lm import random_model
from tests.test_cli import invoke


def test_audit_of_a_model_with_truncated_weights_names_the_file(tmp_path: Path) -> None:
    folder = random_model(tmp_path / "trunc", "qwen2", 0, ["Der Arzt kam.", "Die Ärztin kam."])
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    done = invoke("audit", "run", folder, "--out", tmp_path / "x", "--suite", "bias")
    assert done.exit_code == 2, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert f"{weights} ist beschädigt" in done.stderr
    assert "erneut herunter" in done.stderr
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.*.partial"))  # no empty build folder left behind
