"""`openness rate` on a folder `model finetune` wrote: its licence, lineage and architecture come
from the fine-tune's own records, and its base's withheld parts are carried."""

import json
import shutil
from pathlib import Path

from gemeingut.release.openness.foreign import rate_folder
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

DATA_SECTION = "## Training data\n\n" + "Das Modell lernte aus offenen Texten der Verwaltung. " * 6


def base_folder(root: Path, licence: str = "apache-2.0", open_data: bool = False) -> Path:
    """A tiny foreign base with a card; `open_data`: it publishes its data and data card too."""
    base = make_model(root / "base")
    card = f"---\nlicense: {licence}\nmodel_name: Winzige Basis\n---\n# Winzige Basis\n\n"
    (base / "README.md").write_text(card + (DATA_SECTION if open_data else ""), "utf-8")
    if open_data:
        (base / "data").mkdir()
        (base / "data" / "train.jsonl").write_text('{"text": "offen"}\n', "utf-8")
    return base


def fine_tune(root: Path, base: Path, *extra: str) -> Path:
    """`model finetune` on 20 questions and answers under CC0, as a user runs it."""
    data = root / "antworten.jsonl"
    pairs = [{"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(20)]
    data.write_text("".join(json.dumps(pair) + "\n" for pair in pairs), "utf-8")
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tuned, "--steps", "2",
        "--data-license", "CC0-1.0", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tuned


def _rows(result: dict) -> dict[str, dict]:
    return {c["name"]: c for c in result["mof"]["components"]}


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


def test_a_merged_fine_tune_is_rated_with_its_bases_licence_and_what_it_withholds(
    tmp_path: Path,
) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge")
    shown = invoke("openness", "rate", tuned, "--json")
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    weights = _check(result, "licence.weights")
    assert weights["passed"] and weights["evidence"] == "finetune.json"
    assert weights["detail"].startswith(
        "finetune.json records the licence Apache-2.0 of the base model Winzige Basis"
    )
    rows = _rows(result)
    assert not rows["Datasets"]["present"]  # the fine-tune's data is there, the base's is not
    assert rows["Datasets"]["detail"] == "the base model Winzige Basis does not publish it"
    assert not rows["Model metadata"]["present"]
    release = result["mof_document"]["release"]
    assert release["treatment"] == "instruct fine-tuned"  # prompt/completion examples
    assert release["origin"] == "Winzige Basis"
    assert release["license"]["distribution"] == {"name": "Apache-2.0", "path": "finetune.json"}


def test_a_fine_tune_of_a_non_commercial_base_is_not_open(tmp_path: Path) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path, "cc-by-nc-4.0"), "--merge")
    result = rate_folder(tuned)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and "CC-BY-NC-4.0 forbids commercial use" in weights["detail"]
    assert result["mof"]["class"] == 0


def test_an_adapter_has_its_bases_architecture_and_weights_while_the_base_is_there(
    tmp_path: Path,
) -> None:
    base = base_folder(tmp_path, open_data=True)
    tuned = fine_tune(tmp_path, base)
    result = rate_folder(tuned)
    rows = _rows(result)
    architecture = rows["Model architecture"]
    assert architecture["present"] and architecture["evidence"] == ["adapter_config.json"]
    assert architecture["license"] == "Apache-2.0"
    assert "LoRA adapter on Winzige Basis" in architecture["detail"]
    weights = rows["Model parameters (Final)"]
    assert weights["present"] and weights["evidence"] == ["adapter_model.safetensors"]
    assert "Winzige Basis publishes its own: model.safetensors" in weights["detail"]
    datasets = rows["Datasets"]  # the fine-tuning data, and the base's own
    assert datasets["present"] and datasets["license"] == "CC0-1.0"
    assert "publishes its own: data/train.jsonl" in datasets["detail"]
    assert rows["Data card"]["evidence"] == ["Winzige Basis: README.md"]
    assert result["osaid"]["requirements"]["data_information"]["passed"]
    shutil.move(base, tmp_path / "moved")
    gone = _rows(rate_folder(tuned))
    for name in ("Model architecture", "Model parameters (Final)", "Datasets", "Data card"):
        assert not gone[name]["present"], name
        assert f"is not at {base}" in gone[name]["detail"]
