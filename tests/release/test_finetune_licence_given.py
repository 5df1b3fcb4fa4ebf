"""`openness rate` on a fine-tuned folder says where its licences were given, as its record
keeps it: the options of `model finetune`, or the recipe's keys for one `build` made (the demo
gives its data's licence as `data_license` in the recipe); an older record says neither. The
data's licence has its own check, as the weights' has."""

import json
from pathlib import Path

from gemeingut.i18n import text
from gemeingut.recipe import FinetuneSection, FinetuneTraining
from gemeingut.release.openness.foreign import rate_folder
from gemeingut.stages import finetune_stage
from gemeingut.workspace import ARTIFACT_FILE, at
from tests.release.test_openness_rate_finetune import base_folder, fine_tune
from tests.test_cli import invoke


def _checks(folder: Path) -> dict[str, dict]:
    return {c["id"]: c for c in rate_folder(folder)["checks"]}


def _by_recipe(root: Path) -> Path:
    """A fine-tune as `gemeingut build` makes it from a recipe's [finetune] section."""
    base = base_folder(root)
    data = root / "fragen.jsonl"
    pairs = [{"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(20)]
    data.write_text("".join(json.dumps(pair) + "\n" for pair in pairs), "utf-8")
    section = FinetuneSection(
        base=base, data=data, data_license="CC0-1.0", merge=True,
        training=FinetuneTraining(steps=2),
    )  # fmt: skip
    tuned, _reused = finetune_stage(at(root / "tuned"), base, data, section, "Apache-2.0")
    return tuned.path


def test_a_fine_tune_made_with_options_names_the_options(tmp_path: Path) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    checks = _checks(tuned)
    data, weights = checks["licence.training-data"], checks["licence.weights"]
    assert data["passed"] and data["evidence"] == ARTIFACT_FILE
    assert data["detail"] == (
        "artifact.json records the licence CC0-1.0 given with the fine-tuning data (option "
        "--data-license); CC0-1.0 is open"
    )
    assert "chosen at fine-tuning (option --license), checked there" in weights["detail"]
    shown = invoke("openness", "rate", tuned)  # German by default
    assert shown.exit_code == 0, shown.output
    assert (
        "✓ Lizenzen der Trainingsdaten (licence.training-data): artifact.json hält die Lizenz "
        "CC0-1.0 fest, die mit den Feinabstimmungsdaten angegeben wurde (Option --data-license)"
    ) in shown.output


def test_a_fine_tune_a_recipe_made_names_the_recipes_keys(tmp_path: Path) -> None:
    checks = _checks(_by_recipe(tmp_path))
    data, weights = checks["licence.training-data"]["detail"], checks["licence.weights"]["detail"]
    assert "given with the fine-tuning data (finetune.data_license in the recipe)" in data
    assert "chosen at fine-tuning (release.license in the recipe)" in weights
    assert "--" not in data + weights  # no option that was never used
    german = text(_checks(_by_recipe(tmp_path / "de"))["licence.training-data"]["detail"], "de")
    assert "angegeben wurde (finetune.data_license im Rezept)" in german


def test_an_older_record_names_no_place_it_was_given(tmp_path: Path) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    record = tuned / "finetune.json"
    kept = json.loads(record.read_text("utf-8"))
    del kept["command"]  # as gemeingut wrote it before it kept where
    record.write_text(json.dumps(kept), "utf-8")
    checks = _checks(tuned)
    data, weights = checks["licence.training-data"]["detail"], checks["licence.weights"]["detail"]
    assert data.startswith("artifact.json records the licence CC0-1.0 given with the fine-tuning "
                           "data; ")  # fmt: skip
    assert "chosen at fine-tuning, checked there" in weights
    assert "--" not in data + weights and "recipe" not in data + weights


def test_the_data_licence_check_fails_where_it_is_unknown_or_not_open(tmp_path: Path) -> None:
    data = tmp_path / "antworten.jsonl"
    data.write_text('{"prompt": "Frage?", "completion": " Antwort."}\n' * 20, "utf-8")
    tuned = tmp_path / "tuned"
    made = invoke("model", "finetune", base_folder(tmp_path), "--data", data, "--out", tuned,
                  "--steps", "2", "--merge")  # fmt: skip
    assert made.exit_code == 0, made.output
    unknown = _checks(tuned)["licence.training-data"]
    assert not unknown["passed"]
    assert "was given as files without a licence" in unknown["detail"]
    artifact = tuned / ARTIFACT_FILE
    meta = json.loads(artifact.read_text("utf-8"))
    meta["params"]["data_license"] = "CC-BY-NC-4.0"  # a record naming a licence that is not open
    artifact.write_text(json.dumps(meta), "utf-8")
    closed = _checks(tuned)["licence.training-data"]
    assert not closed["passed"] and "CC-BY-NC-4.0 forbids commercial use" in closed["detail"]
    # an OSI licence of code is no licence of data, as the release's own check judges it
    meta["params"]["data_license"] = "GPL-3.0-only"
    artifact.write_text(json.dumps(meta), "utf-8")
    code = _checks(tuned)["licence.training-data"]
    assert not code["passed"] and "not open: GPL-3.0-only" in code["detail"], code


def test_what_the_base_folder_lacks_is_said_as_not_found_from_the_folder(tmp_path: Path) -> None:
    """The base may publish its data elsewhere (a publication, a release bundle) that nothing
    in the fine-tune's folder leads to: the rating says where it looked."""
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge")
    rows = {c["name"]: c for c in rate_folder(tuned)["mof"]["components"]}
    said = text(rows["Datasets"]["detail"], "de")
    assert said == (
        "von diesem Ordner aus nicht gefunden: nicht im Ordner des Basismodells Winzige Basis "
        f"({tmp_path / 'base'})"
    )
    assert "nicht veröffentlicht" not in said
