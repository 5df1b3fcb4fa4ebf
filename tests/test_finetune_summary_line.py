"""`gemeingut model finetune` ends with what it trained and its validation loss, each on a line
of its own and unbroken: the base's path makes the line longer than a terminal is wide."""

from __future__ import annotations

from pathlib import Path

from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke


def test_the_summary_lines_are_whole(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    card = base / "README.md"
    name = "Winzige Basis für Verwaltung, Schule und Hochschule, feinjustiert"
    card.write_text(card.read_text("utf-8").replace("Winzige Basis", name), "utf-8")
    tuned = fine_tune(tmp_path, base)
    result = invoke("model", "finetune", base, "--data", tmp_path / "antworten.jsonl",
                    "--out", tuned, "--steps", "4", "--eval-every", "2",
                    "--data-license", "CC0-1.0")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    trained = [line for line in lines if "Parametern trainiert" in line]
    assert len(trained) == 1 and len(trained[0]) > 80, lines
    assert trained[0].startswith("  ") and trained[0].endswith("Parametern trainiert")
    assert f"lora auf {name}: " in trained[0]
    losses = lines[lines.index(trained[0]) + 1]
    assert losses.startswith("  Validierungsverlust ") and " → " in losses
