"""An audit's report names every path as seen from the report's own folder (where its commands
run), never this machine's absolute path: a published audit leaks no local paths. The CLI runs
as a person runs it, in its own process: its recorded command is built from that `sys.argv`."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from gemeingut.audit.capability import LmEvalModel
from tests.audit.shell_command import run_command
from tests.audit.tiny_lm import random_model


def test_a_command_typed_with_absolute_paths_is_recorded_without_them(tmp_path: Path) -> None:
    model = random_model(tmp_path / "qwen-tiny", "qwen2", 0, ["Der Arzt kam.", "Die Ärztin."])
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nsuites = ["tasks"]\n[audit.tasks]\nlimit = 1\n', "utf-8")
    out = tmp_path / "audits" / "a1"
    (elsewhere := tmp_path / "elsewhere").mkdir()
    typed = ["gemeingut", "audit", "run", model, "--out", out, f"--config={config}"]
    run_command(shlex.join(map(str, typed)), elsewhere, dict(os.environ))
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["model"]["path"] == "../../qwen-tiny"
    assert "pretrained=../../qwen-tiny," in report["tasks"]["lm_eval"]["command"]
    assert report["command"] == (
        "gemeingut audit run ../../qwen-tiny --out . --config=../../audit.toml"
    )
    for name in ("report.json", "report.de.md", "report.en.md", "artifact.json"):
        assert str(tmp_path) not in (out / name).read_text("utf-8"), name
    run_command(report["command"], out, dict(os.environ))  # it runs from the report's folder


def test_an_adapter_s_base_and_adapter_are_named_from_the_report_folder(tmp_path: Path) -> None:
    how = LmEvalModel("hf", {"pretrained": tmp_path / "base", "peft": tmp_path / "lora"})
    assert how.arg_string(tmp_path / "audits" / "a1") == "pretrained=../../base,peft=../../lora"
    assert how.arg_string() == f"pretrained={tmp_path / 'base'},peft={tmp_path / 'lora'}"


def test_an_option_value_that_reads_like_a_path_is_left_alone(tmp_path: Path) -> None:
    """`--out bias --suite bias`: only the path option's value is a path."""
    from gemeingut.audit.run import recorded_arguments

    out = tmp_path / "bias"
    words = [str(tmp_path / "m"), "--out", "bias", "--suite", "bias"]
    recorded, ran_in = recorded_arguments(
        words, {tmp_path / "m", Path("bias")}, tmp_path, out, frozenset({"--suite"})
    )
    assert ran_in == out and recorded == ["../m", "--out", ".", "--suite", "bias"]
