"""The release's machine-readable documents: each valid against its official schema, and each
number and hash equal to what the bundle's files give."""

import json
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import MANIFEST, write_manifest
from gemeingut.release.openness.evidence import parameter_count
from gemeingut.release.verify import verify_bundle


def _manifest(bundle: Path) -> dict[str, str]:
    lines = (bundle / MANIFEST).read_text().splitlines()
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in lines)}


def test_the_ml_bom_validates_against_the_cyclonedx_schema(bundle: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (bundle / "bom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_the_ml_bom_names_the_manifests_hashes_and_the_weights_parameter_count(bundle: Path):
    bom = json.loads((bundle / "bom.cdx.json").read_text())
    manifest = _manifest(bundle)
    model = bom["metadata"]["component"]
    # each weights file its own component: a hash says which file it is of
    assert "hashes" not in model
    assert {(f["type"], f["name"], f["hashes"][0]["content"]) for f in model["components"]} == {
        ("file", "model/model.safetensors", manifest["model/model.safetensors"]),
        ("file", "model/model.gguf", manifest["model/model.gguf"]),
    }
    # the released model was last trained on chats: labelled answers
    assert model["modelCard"]["modelParameters"]["approach"] == {"type": "supervised"}
    shards = [c for c in bom["components"] if c["type"] == "data"]
    assert shards and all(c["hashes"][0]["content"] == manifest[c["name"]] for c in shards)
    properties = {p["name"]: p["value"] for p in model["properties"]}
    assert int(properties["gemeingut:parameters"]) == parameter_count(bundle / "model")
    libraries = {c["name"] for c in bom["components"] if c["type"] == "library"}
    assert {"torch", "transformers"} <= libraries
    assert model["licenses"] == [{"expression": "Apache-2.0"}]


def test_an_ml_bom_edited_after_release_is_named(bundle: Path) -> None:
    bom = json.loads((bundle / "bom.cdx.json").read_text())
    bom["metadata"]["component"]["licenses"] = [{"expression": "MIT"}]
    (bundle / "bom.cdx.json").write_text(json.dumps(bom, indent=2) + "\n")
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"bom\.cdx\.json weicht von dem ab"):
        verify_bundle(bundle)


def test_the_spdx_document_reads_back_with_the_official_bindings_and_its_numbers_match(
    bundle: Path,
) -> None:
    import io

    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO((bundle / "spdx.json").read_bytes()), objects)
    by_type: dict[str, list] = {}
    for item in objects.foreach():
        by_type.setdefault(type(item).__name__, []).append(item)
    (model,) = by_type["ai_AIPackage"]
    metrics = {entry.key: entry.value for entry in model.ai_metric}
    assert int(metrics["parameters"]) == parameter_count(bundle / "model")
    evaluation = json.loads((bundle / "training-metadata" / "evaluation.json").read_text())
    assert float(metrics["perplexity"]) == pytest.approx(evaluation["perplexity"], rel=1e-5)
    manifest = _manifest(bundle)
    assert {h.hashValue for h in model.verifiedUsing} == {
        manifest["model/model.safetensors"],
        manifest["model/model.gguf"],
    }
    files = {f.name: f.verifiedUsing[0].hashValue for f in by_type["software_File"]}
    assert files and all(manifest[name] == digest for name, digest in files.items())
    datasets = {d.name for d in by_type["dataset_DatasetPackage"]}
    assert datasets == {"training-data", "test-data"}
    kinds = {str(r.relationshipType).rsplit("/", 1)[-1] for r in by_type["Relationship"]}
    assert {"trainedOn", "testedOn", "hasDeclaredLicense", "contains"} <= kinds
    licences = {e.simplelicensing_licenseExpression for e in by_type[
        "simplelicensing_LicenseExpression"]}  # fmt: skip
    assert "Apache-2.0" in licences


def test_an_spdx_document_edited_after_release_is_named(bundle: Path) -> None:
    text = (bundle / "spdx.json").read_text()
    (bundle / "spdx.json").write_text(text.replace('"Apache-2.0"', '"MIT"'))
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"spdx\.json weicht von dem ab"):
        verify_bundle(bundle)


def test_the_ai_act_summary_follows_the_template_and_its_numbers_match(
    tiny_build, bundle, tmp_path: Path
) -> None:
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")  # German by default
    for heading in (
        "## 1. Allgemeine Informationen",
        "### 1.3 Modalitäten, Gesamtgröße der Trainingsdaten und weitere Merkmale",
        "## 2. Liste der Datenquellen",
        "### 2.1 Öffentlich verfügbare Datensätze",
        "## 3. Aspekte der Datenverarbeitung",
        "### 3.1 Wahrung von Rechtsvorbehalten gegenüber der Ausnahme für Text- und Data-Mining",
        "### 3.2 Entfernung rechtswidriger Inhalte",
    ):
        assert heading in summary, heading
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text())
    stats = lineage["dataset"]["stats"]
    assert f"behaltene Dokumente: {stats['kept']} von {stats['documents_in']} gelesenen" in summary
    assert "weniger als 1 Milliarde Tokens" in summary
    tokens = lineage["model"]["stats"]["tokens_seen"]
    assert f"Im Vortraining gesehene Tokens: {tokens:,}".replace(",", ".") in summary
    for source, count in stats["kept_by_source"].items():
        assert f"| `{source}` | {count} |" in summary
    assert "licence-non-commercial" in summary  # the refused documents are counted
    assert "Inverkehrbringens auf dem Unionsmarkt: _durch die Dateien" in summary
    english = _summary_in_english(bundle, tmp_path)
    assert "## 1. General information" in english
    assert "### 3.2 Removal of illegal content" in english
    assert f"kept by the curation: {stats['kept']} of {stats['documents_in']} read" in english
    assert f"Tokens seen in pretraining: {tokens:,}" in english
    assert "Date of placement on the Union market: _not evidenced" in english


def test_fine_tuning_examples_and_tokens_are_counted_and_named_by_what_they_are(
    bundle: Path,
) -> None:
    """The chats file of the fine-tuning is 12 examples, not one more document; its token
    counts are said by what they are, as the card says them; the quality filters are not
    said to remove illegal content."""
    import pyarrow.parquet as pq

    shards = [
        p for p in (bundle / "training-data").rglob("*.parquet") if p.parent.name != "excluded"
    ]
    documents = sum(pq.read_metadata(p).num_rows for p in shards)
    rating = json.loads((bundle / "openness.json").read_text())
    check = next(c for c in rating["checks"] if c["id"] == "licence.training-data")
    assert check["detail"] == (
        f"{documents} documents + 12 fine-tuning examples, all under open licences"
    )
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text())
    stats = lineage["finetune"]["stats"]
    data = json.loads((bundle / "training-metadata" / "finetune.json").read_text())["data"]
    train, validation = data["train"]["examples"], data["validation"]["examples"]
    assert train + validation == 12
    assert (
        f"Feinabstimmungsdaten: 12 Beispiele ({train} zum Training, {validation} zur "
        f"Validierung) unter CC-BY-4.0, veröffentlicht in `training-data/finetuning/`; "
        f"{stats['trained_tokens']} Tokens der Trainingsbeispiele, die der Verlust zählt (jedes "
        f"einmal); {stats['answer_tokens_seen']} solche Tokens im Training gesehen (6 Schritte)."
    ) in summary
    card = " ".join((bundle / "README.md").read_text(encoding="utf-8").split())
    assert f"{stats['answer_tokens_seen']} solche Tokens gesehen" in card
    illegal = summary.split("### 3.2 Entfernung rechtswidriger Inhalte")[1].split("### 3.3")[0]
    assert "gopher" not in illegal and "language_filter" not in illegal
    assert "- Durch Platzhalter ersetzte personenbezogene Daten:" in illegal
    assert "- Ausgeschlossene Dokumente, weil ihre Lizenz die Nutzung nicht erlaubt:" in illegal
    other = summary.split("### 3.3 Sonstige Informationen")[1]
    assert "Sprach- und Qualitätsfilter (sie suchen nicht nach rechtswidrigen Inhalten)" in other
    assert "| Gopher-Qualitätsfilter (`gopher_quality`) |" in other


def _summary_in_english(bundle: Path, tmp_path: Path) -> str:
    """The summary of a copy of the bundle as a release from before `report_language` wrote
    it (its card German, its reports English): `verify` must render those in English."""
    import shutil

    from gemeingut.release.openness.ai_act import training_summary
    from gemeingut.release.openness.evidence import collect

    copy = tmp_path / "english"
    shutil.copytree(bundle, copy)
    info = json.loads((copy / "release.json").read_text())
    assert info.pop("report_language") == "de" and info["document_language"] == "de"
    (copy / "release.json").write_text(json.dumps(info))
    return training_summary(copy, collect(copy))


def test_the_model_documentation_form_states_what_the_files_evidence(bundle: Path) -> None:
    form = json.loads((bundle / "model_documentation.json").read_text())
    manifest = _manifest(bundle)
    authenticity = form["general_information"]["model_authenticity"]["sha256"]
    assert authenticity == {
        "model/model.gguf": manifest["model/model.gguf"],
        "model/model.safetensors": manifest["model/model.safetensors"],
    }
    assert form["model_properties"]["total_parameters"] == parameter_count(bundle / "model")
    training = json.loads((bundle / "training-metadata" / "training.json").read_text())
    tuning = json.loads((bundle / "training-metadata" / "finetune.json").read_text())["stats"]
    resources = form["computational_resources"]
    tuned_flops = 6 * tuning["parameters"] * tuning["tokens_seen"]
    # pretrained, then fine-tuned: both runs, summed, each named
    assert resources["training_compute_flops"] == training["flops"]["flops_6nd"] + tuned_flops
    assert resources["stages"]["fine-tuning"]["training_compute_flops"] == tuned_flops
    assert resources["stages"]["pretraining"]["record"] == "training-metadata/training.json"
    assert resources["training_time_seconds"] == pytest.approx(
        training["wall_seconds"]["total"] + tuning["wall_seconds_total"], abs=1e-3
    )
    energy = form["energy_consumption"]  # both runs measured: summed, each named
    tuned = json.loads((bundle / "training-metadata" / "finetune.json").read_text())["energy"]
    assert energy["stages"]["pretraining"]["kwh"] == training["energy"]["kwh_this_run"]
    assert energy["stages"]["fine-tuning"]["kwh"] == tuned["kwh_this_run"] > 0
    assert energy["stages"]["fine-tuning"]["record"] == "training-metadata/finetune.json"
    assert energy["kwh"] == pytest.approx(
        training["energy"]["kwh_this_run"] + tuned["kwh_this_run"]
    )
    assert form["distribution_and_licences"]["licence"] == "Apache-2.0"
    assert form["use"]["acceptable_use_policy"].startswith("not evidenced")


def test_a_fine_tuning_from_before_energy_was_measured_leaves_the_pretrainings_alone(
    bundle: Path, tmp_path: Path
) -> None:
    import shutil

    from gemeingut.release.openness.ai_act import model_documentation
    from gemeingut.release.openness.evidence import collect

    copy = tmp_path / "before"
    shutil.copytree(bundle, copy)
    path = copy / "training-metadata" / "finetune.json"
    record = json.loads(path.read_text())
    del record["energy"]
    path.write_text(json.dumps(record))
    rating = json.loads((copy / "openness.json").read_text())
    energy = model_documentation(copy, collect(copy), rating)["energy_consumption"]
    training = json.loads((copy / "training-metadata" / "training.json").read_text())
    assert energy["kwh"] == training["energy"]["kwh_this_run"] and "stages" not in energy
    assert energy["scope"] == "the pretraining only: the fine-tuning recorded no energy"


def test_the_osai_index_grades_all_fourteen_parameters_from_the_files(bundle: Path) -> None:
    index = yaml.safe_load((bundle / "osai-index.yaml").read_text())
    grades = {key: value["class"] for key, value in index.items() if key not in ("system", "org")}
    assert grades == {
        "datasources_basemodel": "open",
        "datasources_endmodel": "open",  # the chats, published under CC-BY-4.0
        "weights_basemodel": "open",  # the pretraining snapshots up to its last step
        "weights_endmodel": "open",
        "trainingcode": "open",
        "code": "open",
        "hardware_architecture": "open",
        "preprint": "closed",  # no paper in the tiny recipe
        "paper": "closed",
        "modelcard": "open",
        "datasheet": "closed",  # no [data.publication]: no data card
        "package": "open",
        "api": "open",
        "licenses": "open",
    }
    assert index["system"]["endmodellicense"] == "Apache-2.0"


def test_fmti_lists_the_indicators_the_files_show_and_which_are_met(bundle: Path) -> None:
    fmti = json.loads((bundle / "fmti.json").read_text())
    met = {row["indicator"]: row["met"] for row in fmti["indicators"]}
    assert fmti["met"] == sum(met.values()) and fmti["listed"] == len(met)
    assert met["Data license"] and met["Compute usage"] and met["Model size"]
    assert met["Unintentional harm evaluation"] and met["Intentional harm evaluation"]
    assert not met["Data source selection"]  # no data statement in the tiny build
    assert "Terms of service" not in met  # a release cannot show it: not listed, not met
