"""The fine-tune's card and AI Act summary count its data with each noun in its number
("1 Chat, 7 Eingabe/Antwort-Paare, 1 Text"); a data line of half a record names what it
lacks; a fine-tune that held nothing out says so, and how to get a validation loss."""

from __future__ import annotations

import json
from pathlib import Path

from tests.release.test_finetune_release import base_folder, release
from tests.test_cli import invoke


def _lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def _chat(i: int) -> dict:
    return {"messages": [{"role": "user", "content": f"Frage {i}?"},
                         {"role": "assistant", "content": f"Antwort {i}."}]}  # fmt: skip


def test_counts_in_the_card_and_summary_have_their_number(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    pairs = [{"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(7)]
    data = _lines(tmp_path / "daten.jsonl", [_chat(0), *pairs, {"text": "Ein Text."}])
    held = _lines(tmp_path / "validierung.jsonl", [_chat(9)])
    tuned = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--validation", held, "--out", tuned,
        "--steps", "1", "--data-license", "CC0-1.0", "--merge",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bundle = release(tmp_path, tuned)
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert (
        "in 1 Schritt auf 9 Beispielen trainiert (1 Chat, 7 Eingabe/Antwort-Paare, 1 Text;" in card
    )
    assert "Validierungsverlust auf 1 zurückgehaltenem Beispiel (" in card
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    assert "9 Trainingsbeispiele (1 Chat, 7 Eingabe/Antwort-Paare, 1 Text)" in summary


def test_half_a_record_names_the_missing_field(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    data = _lines(tmp_path / "daten.jsonl", [{"prompt": 5}])
    result = invoke("model", "finetune", base, "--data", data, "--out", tmp_path / "t")
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert "daten.jsonl:1: neben dem Feld „prompt“ fehlt „completion“" in said, said
    assert '{"prompt": ..., "completion": ...}' in said and "[" not in said.split("Hinweis")[0]
    assert "Traceback" not in said


def test_nothing_held_out_is_said_with_how_to_get_a_validation(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    data = _lines(tmp_path / "eins.jsonl", [_chat(0)])
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tmp_path / "t", "--steps", "1"
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "k. A." not in said
    assert "kein Validierungsverlust: nichts wurde zur Validierung zurückgehalten" in said
    assert "--validation" in said
