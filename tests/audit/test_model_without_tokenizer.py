"""A model folder without tokenizer files is refused by every command that loads its tokenizer,
with the folder and the files expected named: transformers 5 builds an empty tokenizer from
config.json alone and says nothing, and an audit then reported shares of 0 scored pairs. An
audit in which no pair could be scored ends with an error, not a report of numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.audit.run import refuse_unscored
from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.model.loading import load_tokenizer


def _without_tokenizer(folder: Path) -> Path:
    folder.mkdir()
    config = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 64}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_loading_the_tokenizer_of_a_folder_without_one_is_refused(tmp_path: Path) -> None:
    folder = _without_tokenizer(tmp_path / "notok")
    with pytest.raises(InputError, match=r"tokenizer\.json") as refused:
        load_tokenizer(folder)
    assert str(folder) in str(refused.value)


def test_an_audit_of_a_folder_without_tokenizer_fails_and_writes_no_report(
    tmp_path: Path,
) -> None:
    folder = _without_tokenizer(tmp_path / "notok")
    out = tmp_path / "audit"
    result = CliRunner().invoke(app, ["audit", "bias", str(folder), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{folder} enthält keinen Tokenizer" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_bias_audit_with_no_pair_scored_is_an_error() -> None:
    unscored = [{"id": f"p{i}", "shared_tokens": 0, "delta": 0.0} for i in range(3)]
    with pytest.raises(InputError, match="3"):
        refuse_unscored(unscored)
    refuse_unscored([*unscored, {"id": "p3", "shared_tokens": 2, "delta": 0.5}])
