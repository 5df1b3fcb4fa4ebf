"""A fine-tune of a foreign base releases its own data: the data as the fine-tune recorded it,
refused in words where it changed after fine-tuning (the model did not learn from that), and
the release's artifact.json lists the MANIFEST's digests of exactly the files published."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.hashing import files_with_hashes
from gemeingut.workspace import ARTIFACT_FILE
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke


def _release(tuned: Path, out: Path):
    return invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", out,
        "--license", "Apache-2.0",
    )  # fmt: skip


def test_fine_tuning_data_changed_after_fine_tuning_is_refused(tmp_path: Path) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    released = tmp_path / "release"
    result = _release(tuned, released)
    assert result.exit_code == 0, result.output
    recorded = json.loads((released / ARTIFACT_FILE).read_text(encoding="utf-8"))["files"]
    assert recorded == files_with_hashes(released, exclude=frozenset({ARTIFACT_FILE}))

    data = sorted((tuned / "data").rglob("*.jsonl"))[0]
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(lines[1:]), encoding="utf-8")  # one example fewer
    out = tmp_path / "again"
    result = _release(tuned, out)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "eine Datei wurde geändert, nachdem ihr Artefakt sie verzeichnet hat" in said
    assert str(data) in said and "gemeingut model finetune" in said
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
    assert not list(tmp_path.glob(".again.*.partial"))
