"""What was done to a released model (the MOF's `treatment`) is computed from the fine-tune's
record, never written as a fixed word: the tiny build is fine-tuned on chats, a fine-tune on
plain text (continued pretraining) is `pre-trained` in the schema's words and still graded as a
fine-tune by the European index, and an edited claim is named by `verify`."""

import json
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.release.openness.treatment import REBUILD, recorded_treatment
from gemeingut.release.technical_report import render_technical_report
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, release
from tests.release.test_verify_audit import _problems, _unsigned
from tests.test_cli import invoke


def test_a_release_fine_tuned_on_chats_says_so_everywhere(bundle: Path) -> None:
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text("utf-8"))
    assert record["data"]["train"]["chat_examples"] > 0
    info = json.loads((bundle / "release.json").read_text("utf-8"))
    assert info["treatment"] == "chat fine-tuned"
    rating = json.loads((bundle / "openness.json").read_text("utf-8"))
    assert rating["mof_document"]["release"]["treatment"] == "chat fine-tuned"
    mof = yaml.safe_load((bundle / "mof.yml").read_text("utf-8"))
    assert mof["release"]["treatment"] == "chat fine-tuned"
    report = (bundle / "TECHNICAL_REPORT.md").read_text("utf-8")
    assert "| Behandlung | für Chats feinabgestimmt |" in report
    _unsigned(bundle, lambda: None)
    verify_bundle(bundle)


def test_a_treatment_edited_in_release_json_is_named(bundle: Path) -> None:
    path = bundle / "release.json"
    info = json.loads(path.read_text("utf-8"))
    _unsigned(bundle, lambda: path.write_text(json.dumps(info | {"treatment": "pre-trained"})))
    said = " ".join(_problems(bundle).split())
    assert (
        "release.json nennt das Modell „pre-trained“; seine Trainingsaufzeichnungen ergeben "
        "„chat fine-tuned“"
    ) in said


def test_a_treatment_removed_from_release_json_is_named(bundle: Path) -> None:
    """Without one the technical report says `pre-trained`: a claim like any other, also
    where the report is rendered again to match."""
    path, report = bundle / "release.json", bundle / "TECHNICAL_REPORT.md"
    info = json.loads(path.read_text("utf-8"))
    del info["treatment"]

    def edit() -> None:
        path.write_text(json.dumps(info), encoding="utf-8")
        report.write_text(render_technical_report(bundle), encoding="utf-8")

    _unsigned(bundle, edit)
    assert "| Behandlung | vortrainiert |" in report.read_text("utf-8")
    said = " ".join(_problems(bundle).split())
    assert (
        "release.json nennt das Modell „pre-trained“; seine Trainingsaufzeichnungen ergeben "
        "„chat fine-tuned“"
    ) in said


def test_a_fine_tune_on_plain_text_is_pre_trained_and_still_a_fine_tune(tmp_path: Path) -> None:
    """Continued pretraining: the schema's word is `pre-trained`, but the index grades the
    fine-tuning data (the end model is not the base model)."""
    base = base_folder(tmp_path)
    data = tmp_path / "text.jsonl"
    lines = [json.dumps({"text": f"Die Stadt veröffentlicht den Haushalt {i}."}) for i in range(20)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tuned = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tuned, "--steps", "2",
        "--eval-every", "2", "--data-license", "CC0-1.0", "--merge", "--license", "Apache-2.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bundle = release(tmp_path, tuned)
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text("utf-8"))
    assert record["data"]["train"]["text_examples"] > 0
    assert json.loads((bundle / "release.json").read_text("utf-8"))["treatment"] == "pre-trained"
    index = yaml.safe_load((bundle / "osai-index.yaml").read_text("utf-8"))
    tuning = index["datasources_endmodel"]
    assert tuning["class"] == "open" and "training-data/finetuning/" in tuning["link"], tuning
    verify_bundle(bundle, with_signature=False)


def test_a_damaged_record_at_release_says_to_build_again(tmp_path: Path) -> None:
    """At release the record is the workspace's, not a bundle's: no copy to obtain."""
    record = tmp_path / "finetune.json"
    record.write_text("{kaputt", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        recorded_treatment(record, REBUILD)
    assert "gemeingut build" in text(caught.value.hint)
