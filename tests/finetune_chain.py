"""A fine-tune of a fine-tune (base → ft1, the tiny build's fine-tune → ft2), made from the
command line as a user makes it; shared by the audit's and the release's tests of chains."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import invoke

SECOND = "Die zweite Feinabstimmung lernt den Satz über die Stadtbibliothek am Markt."


def second_data(root: Path) -> Path:
    """The second fine-tune's data: one sentence, eight times."""
    data = root / "second.jsonl"
    data.write_text((json.dumps({"text": SECOND}, ensure_ascii=False) + "\n") * 8, "utf-8")
    return data


def finetune(base: Path, data: Path, out: Path, *extra: str) -> Path:
    """One full fine-tuning step of `base` on `data` (`extra`: e.g. its --data-license)."""
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", out, "--method", "full",
        "--steps", "1", "--eval-every", "1", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def evaluate(build: dict, model: Path, out: Path) -> Path:
    result = invoke(
        "evaluate", model, "--dataset", build["dataset"]["path"], "--out", out,
        "--batch-size", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def release(build: dict, tuned: Path, evaluation: Path, out: Path, *extra: object):
    """`gemeingut release` of the fine-tune `tuned` of the build's model, Apache-2.0."""
    return invoke(
        "release", "--dataset", build["dataset"]["path"], "--tokenizer",
        build["tokenizer"]["path"], "--model", build["model"]["path"], "--evaluation",
        evaluation, "--finetuned", tuned, "--name", "winzig-kette", "--out", out,
        "--license", "Apache-2.0", *extra,
    )  # fmt: skip


def fine_tune_chain(build: dict, root: Path) -> dict:
    """base → ft1 (the build's fine-tune, on chat.jsonl, CC-BY-4.0) → ft2 (CC0-1.0)."""
    data = second_data(root)
    ft1 = Path(build["finetune"]["path"])
    ft2 = finetune(ft1, data, root / "ft2", "--data-license", "CC0-1.0")
    return {"root": root, "data": data, "ft1": ft1, "ft2": ft2}
