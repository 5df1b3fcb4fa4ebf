"""The documents of a release cite only files the bundle holds and agree with each other: the
demo-like build (pretrained, then fine-tuned) and fine-tunes of a foreign base, merged and as
a LoRA adapter (whose model is its base plus the adapter)."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.evidence import DataLicences, parameter_count
from gemeingut.release.openness.spdx import collection_process
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, fine_tune, release

HUB_ID = "gemeingut-test/winzige-basis"


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fine-tunes of one foreign base without licence files: merged, and as an adapter."""
    root = tmp_path_factory.mktemp("tuned")
    base = base_folder(root)
    for kind in ("m", "a"):
        (root / kind).mkdir()
    merged = release(root / "m", fine_tune(root / "m", base, "--merge", "--license", "Apache-2.0"))
    adapter = fine_tune(root / "a", base, "--license", "Apache-2.0")
    return {
        "base": base,
        "merged": merged,
        "adapter": release(root / "a", adapter, "--base-hub-id", HUB_ID),
    }


@pytest.fixture(params=["demo-like", "merged", "adapter"])
def any_bundle(request: pytest.FixtureRequest) -> Path:
    if request.param == "demo-like":
        return Path(request.getfixturevalue("tiny_build")["release"]["path"]) / "bundle"
    return request.getfixturevalue("tuned")[request.param]


def _cited(text: str) -> list[str]:
    """`path (what in it), path …` → the paths."""
    items = re.split(r", (?![^()]*\))", text) if text else []
    return [item.split(" (", 1)[0].rstrip("/") for item in items]


def test_every_path_the_index_documents_cite_is_in_the_bundle(any_bundle: Path) -> None:
    fmti = json.loads((any_bundle / "fmti.json").read_text(encoding="utf-8"))
    grades = yaml.safe_load((any_bundle / "osai-index.yaml").read_text(encoding="utf-8"))
    cited = {f"fmti {row['indicator']}": _cited(row["evidence"]) for row in fmti["indicators"]} | {
        f"osai {key}": _cited(g["link"]) for key, g in grades.items() if "link" in g
    }
    absent = {
        where: p for where, paths in cited.items() for p in paths if not (any_bundle / p).exists()
    }
    assert absent == {}
    for row in fmti["indicators"]:  # what is not there is named as missing, not as evidence
        assert row["met"] or row["evidence"] or row["missing"], row


def test_a_fine_tunes_index_grades_follow_its_own_run_and_what_its_base_publishes(
    tuned: dict[str, Path],
) -> None:
    for kind in ("merged", "adapter"):
        bundle = tuned[kind]
        fmti = json.loads((bundle / "fmti.json").read_text(encoding="utf-8"))
        rows = {row["indicator"]: row for row in fmti["indicators"]}
        form = json.loads((bundle / "model_documentation.json").read_text(encoding="utf-8"))
        resources = form["computational_resources"]
        assert resources["training_compute_flops"] and resources["hardware"]
        for name in ("Compute usage", "Development duration", "Compute hardware"):
            assert rows[name]["met"], rows[name]  # as the Model Documentation Form says
            assert rows[name]["evidence"].startswith("training-metadata/finetune.json")
        assert rows["Model architecture"]["met"]
        assert rows["Evaluation of capabilities"]["evidence"] == (
            "training-metadata/finetune_log.jsonl"
        )  # the validation loss, not an evaluation.json the bundle lacks
        assert not rows["Data size"]["met"]  # the base withholds its pretraining data
        assert "base-model/files.json" in rows["Data size"]["evidence"]
        grades = yaml.safe_load((bundle / "osai-index.yaml").read_text(encoding="utf-8"))
        assert grades["weights_basemodel"]["class"] == "open"  # Apache-2.0, listed weights
        assert "model.safetensors" in grades["weights_basemodel"]["notes"]
        assert grades["trainingcode"]["class"] == "partial"  # the fine-tuning's code is there
        assert grades["hardware_architecture"]["class"] == "partial"
        assert grades["datasources_basemodel"]["class"] == "closed"
    adapter = yaml.safe_load((tuned["adapter"] / "osai-index.yaml").read_text(encoding="utf-8"))
    assert adapter["hardware_architecture"]["link"] == (
        "training-metadata/finetune.json, base-model/config.json"
    )


def test_an_adapters_model_is_counted_with_its_base(tuned: dict[str, Path]) -> None:
    bundle = tuned["adapter"]
    base, adapter = parameter_count(tuned["base"]), parameter_count(bundle / "model")
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text())
    assert adapter == record["stats"]["trainable_parameters"] < base
    form = json.loads((bundle / "model_documentation.json").read_text(encoding="utf-8"))
    assert form["model_properties"]["total_parameters"] == base + adapter
    assert form["model_properties"]["trained_parameters"] == adapter
    bom = json.loads((bundle / "bom.cdx.json").read_text(encoding="utf-8"))
    said = {p["name"]: p["value"] for p in bom["metadata"]["component"]["properties"]}
    assert said["gemeingut:parameters"] == str(base + adapter)
    assert said["gemeingut:trained-parameters"] == str(adapter)
    assert _spdx_metrics(bundle)["parameters"] == str(base + adapter)
    card = " ".join((bundle / "README.md").read_text(encoding="utf-8").split())
    total, of_base, of_adapter = (
        f"{n:,}".replace(",", ".") for n in (base + adapter, base, adapter)
    )
    assert f"), {total} Parameter (Basismodell: {of_base} Parameter, bei der" in card
    assert f"; Adapter: {of_adapter} Parameter)" in card
    merged = tuned["merged"]
    form = json.loads((merged / "model_documentation.json").read_text(encoding="utf-8"))
    assert form["model_properties"]["total_parameters"] == base == parameter_count(merged / "model")


def test_verify_names_an_adapter_count_the_card_does_not_add_up(
    tuned: dict[str, Path], tmp_path: Path
) -> None:
    bundle = shutil.copytree(tuned["adapter"], tmp_path / "bundle")
    card = bundle / "README.md"
    base, adapter = parameter_count(tuned["base"]), parameter_count(bundle / "model")
    total = f"{base + adapter:,}".replace(",", ".")
    wrong = f"{adapter:,}".replace(",", ".")  # the adapter's count as the model's
    card.write_text(
        card.read_text(encoding="utf-8").replace(f"), {total} Parameter", f"), {wrong} Parameter")
    )
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert f"README.md: nennt nicht die {total} Parameter" in str(failed.value)


def _spdx_metrics(bundle: Path) -> dict[str, str]:
    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO((bundle / "spdx.json").read_bytes()), objects)
    models = [m for m in objects.foreach_type(spdx.ai_AIPackage) if m.ai_metric]
    return {entry.key: entry.value for entry in models[0].ai_metric}


def _collection_processes(bundle: Path) -> dict[str, str]:
    document = json.loads((bundle / "spdx.json").read_text(encoding="utf-8"))
    return {
        item["name"]: item["dataset_dataCollectionProcess"]
        for item in document["@graph"]
        if item.get("type") == "dataset_DatasetPackage"
    }


def test_spdx_says_how_each_datas_licences_are_known(tiny_build, tuned: dict[str, Path]) -> None:
    tuned_data = _collection_processes(tuned["merged"])["training-data"]
    assert tuned_data == (
        "1 file of fine-tuning data under the licence declared at fine-tuning (CC0-1.0), "
        "without a licence or source per document"
    )
    demo = _collection_processes(Path(tiny_build["release"]["path"]) / "bundle")
    assert re.fullmatch(
        r"\d+ documents in 2 shards, each with its licence and source in the shards' `license` "
        r"and `source` columns, admitted by gemeingut's licence gate; 1 file of fine-tuning data "
        r"under the licence declared at fine-tuning \(CC-BY-4.0\), without a licence or source "
        r"per document",
        demo["training-data"],
    ), demo["training-data"]
    one = DataLicences()
    one.files.append("training-data/train-00000.parquet")
    one.add("CC0-1.0", "docs", 1, "training-data/train-00000.parquet")
    assert collection_process(one).startswith("1 document in 1 shard, each")


def test_a_fine_tunes_german_card_says_the_framework_in_german_and_what_base_model_holds(
    tuned: dict[str, Path], tmp_path: Path
) -> None:
    card = " ".join((tuned["merged"] / "README.md").read_text(encoding="utf-8").split())
    assert (
        "Model Openness Framework: keine Klasse erreicht (Klasse III – Open Model nur bedingt: "
        "nur die finalen" in card
    )
    assert "Class III" not in card and "conditional" not in card and "fails" not in card
    assert "zurückgehalten: Trainingsdaten, Trainingscode, Trainingsmetadaten" in card
    assert "Es veröffentlicht nicht: Datensätze, Code der Datenaufbereitung" in card
    assert "OSI: nicht bestanden (Dateninformation, Code)" in card
    # the base has no licence file: the card names the copies it has, and no licence files
    assert "enthält Kopien seiner Dateien `README.md`, `config.json` und die Liste" in card
    assert "Lizenzdateien" not in card
    summary = (tuned["merged"] / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    assert "Kopien seiner Dateien `README.md`, `config.json` liegen in `base-model/`" in summary
    (tmp_path / "l").mkdir()
    licensed = base_folder(tmp_path / "l")
    (licensed / "LICENSE").write_text("Apache License\nVersion 2.0, January 2004\n", "utf-8")
    bundle = release(
        tmp_path / "l", fine_tune(tmp_path / "l", licensed, "--merge", "--license", "Apache-2.0")
    )
    card = " ".join((bundle / "README.md").read_text(encoding="utf-8").split())
    assert "Kopien seiner Dateien `LICENSE`, `README.md`, `config.json` und" in card


def test_openness_rate_says_one_missing_component_and_several_in_german(tmp_path: Path) -> None:
    """ "es fehlt" one thing, "es fehlen" several: class III lacks only the technical report,
    class II also the training, preprocessing and evaluation code."""
    from tests.model.tiny_models import make_model
    from tests.release.test_finetune_release import DATA_SECTION
    from tests.test_cli import invoke

    folder = make_model(tmp_path / "m")
    results = "    metrics:\n    - {type: perplexity, value: 12.5}\n"
    header = "---\nlicense: apache-2.0\nmodel-index:\n- name: m\n  results:\n  - task: "
    header += "{type: text-generation}\n    dataset: {name: held-out, type: held-out}\n"
    (folder / "README.md").write_text(header + results + "---\n# m\n\n" + DATA_SECTION, "utf-8")
    rated = invoke("openness", "rate", folder)
    assert rated.exit_code == 0, rated.output
    said = " ".join(rated.output.split())
    assert "für Klasse III: es fehlt Technischer Bericht" in said
    assert "für Klasse II: es fehlen " in said


def test_counts_a_record_lacks_are_said_to_be_unrecorded_never_none(
    tuned: dict[str, Path], tmp_path: Path
) -> None:
    """An adapter's total needs its base's count from finetune.json; without it the card says
    so and the SPDX document and ML-BOM leave the count out."""
    from gemeingut.release.finetune_card import render_finetune_card
    from gemeingut.release.openness.cyclonedx import bom_text, cyclonedx_bom
    from gemeingut.release.openness.evidence import collect
    from gemeingut.release.openness.spdx import spdx_text

    bundle = shutil.copytree(tuned["adapter"], tmp_path / "bundle")
    path = bundle / "training-metadata" / "finetune.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["stats"]["parameters"], record["stats"]["trainable_parameters"]
    path.write_text(json.dumps(record), encoding="utf-8")
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    evidence = collect(bundle)
    card = " ".join(render_finetune_card(bundle, rating).split())
    adapter = f"{parameter_count(bundle / 'model'):,}".replace(",", ".")
    assert (
        "), Parameterzahl nicht aufgezeichnet (Basismodell: Parameterzahl nicht aufgezeichnet, "
        f"bei der Feinabstimmung gezählt: seine Gewichte sind nicht in diesem Paket; Adapter: "
        f"{adapter} Parameter)" in card
    )
    bom = cyclonedx_bom(bundle, evidence, rating)
    said = {p["name"] for p in bom["metadata"]["component"]["properties"]}
    assert not said & {"gemeingut:parameters", "gemeingut:trained-parameters"}
    spdx = spdx_text(bundle, evidence, rating)
    assert not {"parameters", "trained_parameters"} & set(_spdx_metrics_of(spdx))
    for document in (card, bom_text(bom), spdx):
        assert "None" not in document


def _spdx_metrics_of(document: str) -> dict[str, str]:
    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(document.encode("utf-8")), objects)
    models = [m for m in objects.foreach_type(spdx.ai_AIPackage) if m.ai_metric]
    return {entry.key: entry.value for entry in models[0].ai_metric} if models else {}
