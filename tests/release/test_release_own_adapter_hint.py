"""A LoRA adapter of our own model released with `--finetuned` alone: the first refusal says
both things a release of it needs (whole weights, made with --merge, and the pretraining's own
artifacts), so that a user who follows the hint is not refused a second time for the other."""

from __future__ import annotations

from pathlib import Path

from tests.finetune_chain import finetune, second_data
from tests.test_cli import invoke


def test_an_own_adapter_released_alone_is_told_to_merge_and_name_the_build(
    tiny_build: dict, tmp_path: Path
) -> None:
    model = Path(tiny_build["model"]["path"])
    adapter = finetune(
        model, second_data(tmp_path), tmp_path / "lora", "--method", "lora", "--data-license",
        "CC0-1.0",
    )  # fmt: skip
    result = invoke("release", "--finetuned", adapter, "--name", "x", "--out", tmp_path / "r")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert "--merge" in said and "--dataset, --tokenizer, --model, --evaluation" in said, said
    assert "Traceback" not in said and not (tmp_path / "r").exists()
