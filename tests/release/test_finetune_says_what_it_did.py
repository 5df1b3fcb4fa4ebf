"""A fine-tune says what it did with its examples, and the command, the card and the technical
report say it alike: how many training examples were cut to --seq-len (with a warning when most
were), and that the example held out for validation was held out but cut before its answer (not
"nothing held out", beside a report that counts it); the report writes its settings and sources
in German; a release refused for the base's unknown licence points to where that licence is
stated; the command counts a LoRA adapter's parameters as the card does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gemeingut.i18n import text, translations
from gemeingut.model.finetune_data import held_out
from gemeingut.release.card import METHODS
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, release
from tests.test_cli import invoke

EXAMPLES, SEQ_LEN = 10, 32


def _examples() -> list[dict[str, str]]:
    """Answers longer than a window, but for two; the example held out for validation (as
    `held_out` draws it) has a prompt longer than a window, so none of its answer is left."""
    held = int(held_out(EXAMPLES, 0.1, 0).nonzero()[0][0])
    long = " ".join(["Das Bürgeramt prüft die Straße in Köln"] * 4)
    examples = []
    for i in range(EXAMPLES):
        if i == held:
            examples.append({"prompt": f"{long}, Frage {i}?", "completion": f" Antwort {i}."})
        else:
            answer = f" Antwort {i}." if i in {held - 1, held + 1} else f" {long}, Antwort {i}."
            examples.append({"prompt": f"Frage {i}?", "completion": answer})
    return examples


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A LoRA fine-tune with --seq-len 32 on the examples above, its output and its release."""
    root = tmp_path_factory.mktemp("cut")
    data = root / "daten.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in _examples()), encoding="utf-8")
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base_folder(root), "--data", data, "--out", tuned, "--steps", "2",
        "--seq-len", str(SEQ_LEN), "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((tuned / "finetune.json").read_text(encoding="utf-8"))
    bundle = release(root, tuned, "--base-hub-id", "schule/winzig")
    return {"said": " ".join(result.output.split()), "record": record, "bundle": bundle}


def _read(bundle: Path, name: str) -> str:
    return " ".join((bundle / name).read_text(encoding="utf-8").split())


def test_cut_examples_and_the_held_out_one_are_said_alike_everywhere(cut: dict) -> None:
    train, held = cut["record"]["data"]["train"], cut["record"]["data"]["validation"]
    assert 2 * train["truncated"] > train["examples"] and held["examples"] == 1
    assert held["without_targets"] == held["truncated"] == 1 and held["windows"] == 0
    said, bundle = cut["said"], cut["bundle"]
    cut_line = (
        f"{train['truncated']} von {train['examples']} Trainingsbeispielen waren länger als "
        f"seq_len = {SEQ_LEN} Tokens und wurden gekürzt"
    )
    assert cut_line in said
    assert f"die meisten Trainingsbeispiele passten nicht in seq_len = {SEQ_LEN} Tokens" in said
    assert "größeres --seq-len" in said
    unvalidated = (
        "ein Validierungsverlust: zur Validierung zurückgehaltene Beispiele: 1 (10 % der "
        f"Beispiele, Seed 0), davon bei seq_len = {SEQ_LEN} Tokens gekürzt: 1; keinem blieb ein "
        "Antwort-Token zum Bewerten"
    )
    assert "k" + unvalidated in said and "nichts wurde zur Validierung zurückgehalten" not in said
    card, report = _read(bundle, "README.md"), _read(bundle, "TECHNICAL_REPORT.md")
    for document in (card, report):
        assert cut_line in document and "K" + unvalidated in document
        assert "Keine Validierungsdaten" not in document
    assert "| Validierungsbeispiele | 1 |" in report
    assert "| Schritt | Validierungsverlust |" not in report  # no table without a row
    verify_bundle(bundle, with_signature=False)  # the card and the report, rendered again


def test_the_technical_report_writes_settings_and_sources_in_german(cut: dict) -> None:
    report = _read(cut["bundle"], "TECHNICAL_REPORT.md")
    assert "| Validierung aus | 10 % der Beispiele, Seed 0 |" in report
    assert "| Verlust auf | nur die Antworten (Assistenten-Beiträge" in report
    assert "| learning_rate | 0,0002 |" in report and "| min_lr_ratio | 0,1 |" in report
    assert "| activation_checkpointing | nein |" in report and "| compile | nein |" in report
    assert "| Methode | LoRA (Adapter) |" in report and "lora-adapter" not in report
    assert not re.search(r"\| (0\.\d+|\d+\.0) \||False|True|of the examples|answers only", report)


def test_the_command_counts_an_adapters_parameters_as_the_card_does(cut: dict) -> None:
    stats = cut["record"]["stats"]
    total = f"{stats['parameters'] + stats['trainable_parameters']:,}".replace(",", ".")
    base, adapter = (
        f"{stats[k]:,}".replace(",", ".") for k in ("parameters", "trainable_parameters")
    )
    assert (
        f"{total} Parameter, davon die {base} des Basismodells eingefroren und ein Adapter mit "
        f"{adapter} Parametern trainiert"
    ) in cut["said"]
    card = _read(cut["bundle"], "README.md")
    assert f"{total} Parameter (Basismodell: {base} Parameter" in card
    assert f"Adapter: {adapter} Parameter)" in card


def test_merged_is_one_german_word_in_the_card_and_the_help() -> None:
    word = re.fullmatch(r"LoRA \((.+)\)", text(METHODS["merged"], "de"))[1]
    assert word in translations("de")["LoRA: write a standalone merged model."]


def test_a_release_refused_for_the_bases_unknown_licence_points_to_finetune(
    tmp_path: Path,
) -> None:
    base = base_folder(tmp_path)
    (base / "README.md").write_text("# Winzige Basis ohne Lizenz\n", encoding="utf-8")
    data = tmp_path / "daten.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in _examples()), encoding="utf-8")
    tuned = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tuned, "--steps", "1",
        "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    refused = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "rel",
        "--license", "Apache-2.0",
    )  # fmt: skip
    said = " ".join(refused.output.split())
    assert refused.exit_code != 0 and "nennt keine Lizenz" in said, said
    assert f"gemeingut model finetune {base.resolve()} --base-license SPDX" in said
    assert "Traceback" not in said and not (tmp_path / "rel").exists()
    assert "--base-license" not in invoke("release", "--help").output  # not an option there


def test_a_merged_adapters_count_is_the_models_as_its_card_says(tmp_path: Path) -> None:
    """Merged into the base, the adapter's parameters are no longer beside them: the command
    says the model's count, the base's, as the card does, not base and adapter added up."""
    data = tmp_path / "daten.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in _examples()), encoding="utf-8")
    tuned = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base_folder(tmp_path), "--data", data, "--out", tuned,
        "--steps", "1", "--merge", "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    stats = json.loads((tuned / "finetune.json").read_text(encoding="utf-8"))["stats"]
    base, adapter = (
        f"{stats[k]:,}".replace(",", ".") for k in ("parameters", "trainable_parameters")
    )
    assert (
        f"ein Adapter mit {adapter} Parametern neben den {base} des Basismodells trainiert, die "
        f"eingefroren blieben, und in sie zusammengeführt: {base} Parameter"
    ) in said
    total = f"{stats['parameters'] + stats['trainable_parameters']:,}".replace(",", ".")
    assert total not in said
    card = _read(release(tmp_path, tuned), "README.md")
    assert f"{base} Parameter" in card and total not in card
