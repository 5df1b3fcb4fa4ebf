"""A model fine-tuned from a foreign base is released as a bundle that names its base (card,
config, licence, the list of its files) and is rated with what that base withholds; `verify`
re-runs the rating and names tampering with the base's evidence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gemeingut.audit.bias import default_suite as default_pairs
from gemeingut.errors import VerifyError
from gemeingut.i18n import as_written
from gemeingut.release.manifest import write_manifest
from gemeingut.release.technical_report import render_finetune_report
from gemeingut.release.verify import verify_bundle
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

DATA_SECTION = (
    "## Training data\n\nDas Modell lernte aus offenen Texten der Verwaltung: 1,2 Millionen "
    "Gesetze und Verordnungen von https://www.gesetze-im-internet.de (gemeinfrei, § 5 UrhG), "
    "Stand März 2024, dedupliziert.\n"
)


def base_folder(root: Path, licence: str = "apache-2.0", open_data: bool = False) -> Path:
    """A tiny foreign base with a card; `open_data`: it also publishes its data, data card,
    training code and training configuration, as a fully open model's folder does."""
    base = make_model(root / "base")
    card = f"---\nlicense: {licence}\nmodel_name: Winzige Basis\n---\n# Winzige Basis\n\n"
    (base / "README.md").write_text(card + (DATA_SECTION if open_data else ""), encoding="utf-8")
    if open_data:
        (base / "data").mkdir()
        (base / "data" / "train.jsonl").write_text('{"text": "offen"}\n', encoding="utf-8")
        (base / "train.py").write_text("print('training')\n", encoding="utf-8")
        (base / "preprocess.py").write_text("print('cleaning')\n", encoding="utf-8")
        (base / "trainer_state.json").write_text('{"global_step": 1}\n', encoding="utf-8")
    return base


def fine_tune(root: Path, base: Path, *extra: str) -> Path:
    data = root / "antworten.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) + "\n"
            for i in range(20)
        ),
        encoding="utf-8",
    )
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tuned, "--steps", "4",
        "--eval-every", "2", "--data-license", "CC0-1.0", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tuned


def release(root: Path, tuned: Path, *extra: str) -> Path:
    result = invoke(
        "release", "--finetuned", tuned, "--name", "winzig-feinjustiert", "--out",
        root / "release", "--license", "Apache-2.0", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root / "release" / "bundle"


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of a base that publishes its weights only."""
    root = tmp_path_factory.mktemp("closed")
    base = base_folder(root)
    return release(root, fine_tune(root, base, "--merge", "--license", "Apache-2.0"))


def rating(bundle: Path) -> dict:
    return json.loads((bundle / "openness.json").read_text(encoding="utf-8"))


def test_a_fine_tune_is_rated_with_what_its_base_withholds(closed: Path) -> None:
    verify_bundle(closed)
    rated = rating(closed)
    checks = {c["id"]: c for c in rated["checks"]}
    assert not rated["open"]
    assert checks["artifacts.five"]["detail"] == (
        "withheld by the base model Winzige Basis: training data, training code, training metadata"
    )
    assert checks["licence.training-data"]["passed"]  # CC0, stated at fine-tuning
    assert checks["licence.base"]["passed"] and checks["licence.weights"]["passed"]
    components = {c["name"]: c for c in rated["mof"]["components"]}
    assert not components["Datasets"]["present"]
    assert components["Datasets"]["detail"] == "the base model Winzige Basis does not publish it"
    assert components["Model parameters (Final)"]["present"]
    assert components["Evaluation data"]["present"]  # the held-out fine-tuning examples
    card = (closed / "README.md").read_text(encoding="utf-8")
    assert "Dieses Release ist **nicht offen**" in card and "not-open" in card
    assert "vom Basismodell Winzige Basis zurückgehalten" in card  # said in the card's language
    header = yaml.safe_load(card.split("---")[1])
    assert "base_model" not in header  # a local folder's name is no Hub id: the text names it
    # the base is named, never copied: its card, config and file list, not its weights
    assert sorted(p.name for p in (closed / "base-model").iterdir()) == [
        "README.md", "config.json", "files.json"
    ]  # fmt: skip
    listed = json.loads((closed / "base-model" / "files.json").read_text())
    assert "model.safetensors" in listed


def test_a_fine_tunes_own_report_and_architecture_code_count_as_its_own(closed: Path) -> None:
    """The bundle's technical report covers the fine-tuning only: the model has no report
    while its base publishes none, and the detail says so (not that the report is missing);
    the architecture of a Llama model is transformers' code (Apache-2.0), not gemeingut's,
    which only trained it; the card and `openness rate` say the OSAID gate by its
    requirements."""
    components = {c["name"]: c for c in rating(closed)["mof"]["components"]}
    report = components["Technical report"]
    assert not report["present"] and report["license"] == "CC-BY-4.0"
    assert report["detail"].startswith("TECHNICAL_REPORT.md covers the fine-tuning only")
    architecture = components["Model architecture"]
    assert architecture["evidence"] == ["model/config.json"]
    assert architecture["license"] == "Apache-2.0" and "transformers" in architecture["detail"]
    shown = invoke("openness", "rate", closed)
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert "TECHNICAL_REPORT.md deckt nur die Feinabstimmung ab" in said
    gate = "✗ Open Source AI Definition (osaid.gate): nicht bestanden (Dateninformation, Code)"
    assert gate in said
    card = " ".join((closed / "README.md").read_text(encoding="utf-8").split())
    assert "`osaid.gate`: nicht bestanden (Dateninformation, Code)" in card


def test_an_open_base_lends_the_fine_tune_its_components(tmp_path: Path) -> None:
    base = base_folder(tmp_path, open_data=True)
    bundle = release(tmp_path, fine_tune(tmp_path, base, "--merge", "--license", "Apache-2.0"))
    verify_bundle(bundle)
    rated = rating(bundle)
    checks = {c["id"]: c for c in rated["checks"]}
    assert checks["artifacts.five"]["passed"], checks["artifacts.five"]
    components = {c["name"]: c for c in rated["mof"]["components"]}
    datasets = components["Datasets"]
    assert datasets["present"] and datasets["evidence"] == [
        "training-data/finetuning", "base-model: data/train.jsonl"
    ]  # fmt: skip
    assert components["Data card"]["evidence"] == ["base-model: README.md"]
    assert rated["osaid"]["requirements"]["data_information"]["passed"]


def test_verify_names_a_changed_base_listing_or_base_card(closed: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(closed, bundle)
    listing = bundle / "base-model" / "files.json"
    files = json.loads(listing.read_text())
    listing.write_text(json.dumps(files | {"data/train.jsonl": "sha256:" + "0" * 64}))
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "base-model/files.json ist nicht die Dateiliste des Basismodells" in str(failed.value)
    shutil.rmtree(bundle)
    shutil.copytree(closed, bundle)
    card = bundle / "base-model" / "README.md"
    card.write_text(card.read_text().replace("apache-2.0", "mit"))
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "base-model/README.md ist nicht die Datei README.md des Basismodells" in str(
        failed.value
    )
    shutil.rmtree(bundle)
    shutil.copytree(closed, bundle)
    card = bundle / "README.md"
    card.write_text(card.read_text().replace("Klasse III – Open Model nur bedingt", "Klasse I"))
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "der Absatz zum Basismodell ist nicht der, den base-model/ ergibt" in str(failed.value)


def test_verify_renders_a_fine_tunes_card_and_notice_again(closed: Path, tmp_path: Path) -> None:
    """As for a bundle of our own pretraining: any edit of the card or NOTICE is named."""
    bundle = tmp_path / "bundle"
    for name, old, new in (
        ("README.md", "\n## ", "\nDas Modell ist BSI-zertifiziert.\n\n## "),
        ("NOTICE", "winzig-feinjustiert", "ein anderes Modell"),
    ):
        shutil.copytree(closed, bundle)
        path = bundle / name
        assert old in path.read_text(encoding="utf-8"), name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        write_manifest(bundle)
        with pytest.raises(VerifyError) as failed:
            verify_bundle(bundle)
        assert f"{name} weicht von dem ab, das die Dateien ergeben" in str(failed.value)
        shutil.rmtree(bundle)


def test_what_cannot_be_released_so_is_a_clear_error(tmp_path: Path) -> None:
    base = base_folder(tmp_path, licence="cc-by-sa-4.0")
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "CC-BY-SA-4.0")
    refused = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "r",
        "--license", "Apache-2.0",
    )  # fmt: skip
    assert refused.exit_code == 2 and "ist Share-alike" in refused.output
    assert not (tmp_path / "r").exists()
    partial = invoke("release", "--finetuned", tuned, "--model", tuned, "--name", "x", "--out",
                     tmp_path / "r")  # fmt: skip
    assert partial.exit_code == 2
    assert "nicht angegeben: --dataset, --tokenizer, --evaluation;" in partial.output
    moved = tmp_path / "anderswo"
    base.rename(moved)
    gone = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "r",
        "--license", "CC-BY-SA-4.0",
    )  # fmt: skip
    assert gone.exit_code == 2 and "gibt es nicht" in gone.output
    found = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "r",
        "--license", "CC-BY-SA-4.0", "--base", moved,
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    verify_bundle(tmp_path / "r" / "bundle")


HUB_ID = "gemeingut-test/winzige-basis"
# The card's usage snippet, run from the bundle as a user would: peft finds the base by the name
# adapter_config.json gives, here in the Hub cache alone (offline), and the adapter's logits are
# those of the adapter put on that base by hand.
LOAD_ADAPTER = """
import json, sys
import torch
from peft import AutoPeftModelForCausalLM, PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained("model")
model = AutoPeftModelForCausalLM.from_pretrained("model")
by_hand = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(sys.argv[1]), "model")
ids = tokenizer("Frage 3?", return_tensors="pt")
with torch.no_grad():
    print(json.dumps(torch.equal(model(**ids).logits, by_hand(**ids).logits)))
"""


def hub_cache(root: Path, base: Path, hub_id: str) -> Path:
    """A Hugging Face cache that holds `base` as the Hub's snapshot of `hub_id`."""
    revision = "0" * 40
    repo = root / f"models--{hub_id.replace('/', '--')}"
    shutil.copytree(base, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision, encoding="utf-8")
    return root


def test_a_lora_adapter_is_released_signed_and_loads_with_peft_by_its_hub_id(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    from gemeingut.release.signing import create_key

    base = base_folder(tmp_path)
    adapter = fine_tune(tmp_path, base, "--license", "Apache-2.0")
    key = create_key("amt", tmp_path / "keys")
    bundle = release(tmp_path, adapter, "--sign-key", key.private, "--base-hub-id", HUB_ID)
    assert verify_bundle(bundle, key.public).signed_by
    config = json.loads((bundle / "model" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == HUB_ID  # no folder of this machine
    components = {c["name"]: c for c in rating(bundle)["mof"]["components"]}
    weights = components["Model parameters (Final)"]
    assert weights["evidence"] == [
        "model/adapter_model.safetensors", "base-model: model.safetensors"
    ]  # fmt: skip
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert yaml.safe_load(card.split("---")[1])["base_model"] == HUB_ID
    assert f"LoRA-Adapter, feinabgestimmt aus `{HUB_ID}`" in card
    assert "LoRA (Adapter) (Rang 8" in card and "eingeschmolzen" not in card
    assert "AutoPeftModelForCausalLM" in card
    cache = hub_cache(tmp_path / "hub", base, HUB_ID)
    env = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_ADAPTER, str(base)],
        cwd=bundle, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert json.loads(loaded.stdout.splitlines()[-1]) is True


def test_an_adapter_whose_base_has_no_hub_id_is_not_released(tmp_path: Path) -> None:
    """peft would look for `Winzige Basis` on the Hub: the release asks for the base's Hub id."""
    base = base_folder(tmp_path)
    adapter = fine_tune(tmp_path, base, "--license", "Apache-2.0")
    out = ("--finetuned", adapter, "--name", "x", "--license", "Apache-2.0")
    refused = invoke("release", *out, "--out", tmp_path / "r")
    assert refused.exit_code == 2
    said = " ".join(refused.stderr.split())
    assert "Basismodell Winzige Basis des LoRA-Adapters hat keine Hugging-Face-Hub-ID" in said
    assert "--base-hub-id ORG/NAME" in said and "Traceback" not in refused.output
    assert not (tmp_path / "r" / "bundle").exists()
    for wrong in ("Winzige Basis", "../basis", "a/b/c"):
        shaped = invoke("release", *out, "--out", tmp_path / "s", "--base-hub-id", wrong)
        assert shaped.exit_code == 2, shaped.output
        assert "keine Hugging-Face-Hub-ID (org/name)" in " ".join(shaped.stderr.split())


def test_an_audited_fine_tune_names_no_folder_of_this_machine(tmp_path: Path, tiny_build) -> None:
    base = base_folder(tmp_path)
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "Apache-2.0")
    audit = tmp_path / "audit"
    audited = invoke("audit", "run", tuned, "--out", audit, "--suite", "bias")
    assert audited.exit_code == 0, audited.output
    bundle = release(tmp_path, tuned, "--audit", audit)
    verify_bundle(bundle)
    leaks = [
        str(path.relative_to(bundle))
        for path in bundle.rglob("*")
        if path.is_file() and str(tmp_path) in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert leaks == []
    not_tuned = invoke(
        "release", "--finetuned", tiny_build["model"]["path"], "--name", "x", "--out",
        tmp_path / "r2",
    )  # fmt: skip
    assert not_tuned.exit_code == 2 and "ist kein feinabgestimmtes Modell" in not_tuned.output
    other = invoke(
        "release", "--finetuned", tuned, "--audit", tiny_build["audit"]["path"], "--name", "x",
        "--out", tmp_path / "r3",
    )  # fmt: skip
    assert other.exit_code == 2 and "gilt einem anderen Modell" in other.output


def test_the_ml_bom_names_the_base_model_it_depends_on(closed: Path, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (closed / "bom.cdx.json").read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    [base] = [c for c in bom["components"] if c["bom-ref"] == "base-model"]
    listed = json.loads((closed / "base-model" / "files.json").read_text())
    assert [(f["name"], f["hashes"]) for f in base["components"]] == [
        (
            "model.safetensors",
            [{"alg": "SHA-256", "content": listed["model.safetensors"].removeprefix("sha256:")}],
        )
    ]
    model = bom["metadata"]["component"]
    assert [f["name"] for f in model["components"]] == ["model/model.safetensors"]
    # fine-tuned on prompt/completion pairs: supervised, whatever the base's pretraining was
    assert model["modelCard"]["modelParameters"]["approach"] == {"type": "supervised"}
    assert base["licenses"] == [{"expression": "Apache-2.0"}]
    assert "base-model" in bom["dependencies"][0]["dependsOn"]
    metrics = bom["metadata"]["component"]["modelCard"]["quantitativeAnalysis"]
    assert metrics["performanceMetrics"][0]["slice"] == "held-out fine-tuning data"
    bundle = tmp_path / "bundle"
    shutil.copytree(closed, bundle)
    bom["components"][0]["licenses"] = [{"expression": "MIT"}]
    (bundle / "bom.cdx.json").write_text(json.dumps(bom, indent=2, ensure_ascii=False) + "\n")
    write_manifest(bundle)
    with pytest.raises(
        VerifyError, match=r"bom\.cdx\.json weicht von dem ab, das die Dateien ergeben"
    ):
        verify_bundle(bundle)


def test_the_spdx_document_names_the_base_the_model_descends_from(closed: Path) -> None:
    import io

    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO((closed / "spdx.json").read_bytes()), objects)
    by_type: dict[str, list] = {}
    for item in objects.foreach():
        by_type.setdefault(type(item).__name__, []).append(item)
    models = {m.name: m for m in by_type["ai_AIPackage"]}
    assert set(models) == {"winzig-feinjustiert", "Winzige Basis"}
    listed = json.loads((closed / "base-model" / "files.json").read_text())
    base = models["Winzige Basis"]
    assert [h.hashValue for h in base.verifiedUsing] == [
        listed["model.safetensors"].removeprefix("sha256:")
    ]
    kinds = {str(r.relationshipType).rsplit("/", 1)[-1] for r in by_type["Relationship"]}
    assert {"descendantOf", "trainedOn", "hasDeclaredLicense"} <= kinds
    assert [d.name for d in by_type["dataset_DatasetPackage"]] == ["training-data"]
    metrics = {e.key for e in models["winzig-feinjustiert"].ai_metric}
    assert {"parameters", "validation_loss"} <= metrics


def test_the_ai_act_summary_covers_the_modification_and_names_the_base(closed: Path) -> None:
    summary = (closed / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    record = json.loads((closed / "training-metadata" / "finetune.json").read_text())
    train = record["data"]["train"]
    assert "nur für die Änderung (die Feinabstimmung)" in summary
    assert "feinabgestimmt aus `Winzige Basis` (Lizenz `Apache-2.0`" in summary
    tokens = f"{train['trained_tokens']:,}".replace(",", ".")
    seen = f"{record['stats']['answer_tokens_seen']:,}".replace(",", ".")
    assert (
        f"{train['examples']} Trainingsbeispiele (0 Chats, {train['examples']} "
        f"Eingabe/Antwort-Paare, 0 Texte); {tokens} Tokens der Trainingsbeispiele, die der "
        f"Verlust zählt (jedes einmal); {seen} solche Tokens im Training gesehen (4 Schritte)"
    ) in summary
    card = " ".join((closed / "README.md").read_text(encoding="utf-8").split())
    assert f"{seen} solche Tokens gesehen" in card  # the card names the same number alike
    assert "| Lizenz | Dokumente oder Beispiele |" in summary
    assert "| `CC0-1.0` | 20 |" in summary  # the 20 pairs of antworten.jsonl, not 1 file
    assert "| `CC0-1.0` |" in summary
    assert "nicht unter der Ausnahme für Text- und Data-Mining" in summary


def test_the_model_documentation_form_names_the_base_and_the_run(closed: Path) -> None:
    form = json.loads((closed / "model_documentation.json").read_text(encoding="utf-8"))
    record = json.loads((closed / "training-metadata" / "finetune.json").read_text())
    info = form["general_information"]
    assert info["model_dependencies"].startswith("fine-tuned from `Winzige Basis`")
    manifest = dict(
        reversed(line.split("  ", 1)) for line in (closed / "MANIFEST").read_text().splitlines()
    )
    assert info["model_authenticity"]["sha256"] == {
        "model/model.safetensors": manifest["model/model.safetensors"]
    }
    assert form["training_process"]["steps"] == record["training"]["steps"] == 4
    assert form["model_properties"]["trained_parameters"] == record["stats"]["trainable_parameters"]
    energy = record["energy"]  # the fine-tuning's, measured; the base's, as it states it
    assert form["energy_consumption"]["kwh"] == energy["kwh_this_run"] > 0
    assert form["energy_consumption"]["method"] == energy["method"]
    assert form["energy_consumption"]["base_model"] == "not stated by the base"


def test_the_index_grades_say_what_the_base_withholds(closed: Path) -> None:
    import yaml

    grades = yaml.safe_load((closed / "osai-index.yaml").read_text(encoding="utf-8"))
    fmti = json.loads((closed / "fmti.json").read_text(encoding="utf-8"))
    by_indicator = {row["indicator"]: row["met"] for row in fmti["indicators"]}
    assert by_indicator["Model License"] is True
    assert by_indicator["Data size"] is False  # the base's pretraining data is withheld
    assert grades  # graded from the same rating; verify renders both again


def test_the_technical_report_describes_the_base_the_data_and_the_run(closed: Path) -> None:
    report = (closed / "TECHNICAL_REPORT.md").read_text(encoding="utf-8")
    record = json.loads((closed / "training-metadata" / "finetune.json").read_text())
    assert report.startswith("# Technischer Bericht: winzig-feinjustiert")
    assert "`Winzige Basis` ist nicht Teil dieses Pakets" in report
    assert f"| Beispiele (Training) | {record['data']['train']['examples']} |" in report
    assert "| Methode | LoRA (zusammengeführt) |" in report
    losses = [
        json.loads(line)["val_loss"]
        for line in (closed / "training-metadata" / "finetune_log.jsonl").read_text().splitlines()
        if "val_loss" in json.loads(line)
    ]
    assert f"| {losses[-1]:.4f} |".replace(".", ",") in report.split("## 4. Training")[1]


def test_a_run_without_validation_data_still_has_its_report(tmp_path: Path) -> None:
    from gemeingut.release.technical_report import _validation_curve

    log = tmp_path / "finetune_log.jsonl"
    log.write_text('{"step": 0, "val_loss": null}\n\n{"step": 1, "loss": 2.0}\n')
    assert _validation_curve(log, "de") == []


@pytest.mark.parametrize("merge", [True, False], ids=["merged", "adapter"])
def test_a_fine_tune_bundle_is_reproduced_on_its_base(
    merge: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle's own code fine-tunes again on the base folder given and the bundle's data,
    then releases again: the fine-tune and the release come out equal (times aside), also in
    another process (peft's layer-name set), without HF_HUB_OFFLINE (the tokenizer's flags)
    and with the base in another folder (an adapter names it)."""
    base = base_folder(tmp_path)
    tuned = fine_tune(tmp_path, base, "--license", "Apache-2.0", *(["--merge"] if merge else []))
    bundle = release(tmp_path, tuned, *([] if merge else ["--base-hub-id", HUB_ID]))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    elsewhere = shutil.copytree(base, tmp_path / "anderswo" / "basis")  # another machine's path
    result = invoke(
        "reproduce", bundle.parent, "--workspace", tmp_path / "again", "--base", elsewhere, "--json"
    )
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "release"}
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())


def test_reproducing_a_fine_tune_needs_the_very_base_it_was_made_from(
    closed: Path, tmp_path: Path
) -> None:
    result = invoke("reproduce", closed, "--workspace", tmp_path / "a")
    assert result.exit_code == 2 and "--base" in result.stderr
    other = shutil.copytree(closed.parent.parent / "base", tmp_path / "other-base")
    (other / "config.json").write_text(
        (other / "config.json").read_text(encoding="utf-8").replace("}", ', "x": 1}', 1),
        encoding="utf-8",
    )
    result = invoke("reproduce", closed, "--workspace", tmp_path / "b", "--base", other)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "ist nicht das Basismodell" in said  # one file: it "weicht ab", not "weichen ab"
    assert "config.json weicht von base-model/files.json ab" in said
    assert not (tmp_path / "b" / "workspace").exists()  # refused before any training


def test_an_audited_fine_tune_is_reproduced_with_its_audit(tmp_path: Path) -> None:
    """The audit runs again on the rebuilt fine-tune with the settings it recorded: the same
    id, the same scores, the same bundle. An audit with a suite of the auditor's own cannot;
    one of training documents of the auditor's own is not released at all."""
    base = base_folder(tmp_path)
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "Apache-2.0")
    audited = invoke("audit", "run", tuned, "--out", tmp_path / "audit", "--suite", "bias")
    assert audited.exit_code == 0, audited.output
    bundle = release(tmp_path, tuned, "--audit", tmp_path / "audit")
    again = ("--workspace", tmp_path / "again", "--base", base, "--json")
    result = invoke("reproduce", bundle.parent, *again)
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "audit", "release"}
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())
    pairs = tmp_path / "paare.jsonl"  # a suite of the auditor's own: two shipped pairs
    shipped = (default_pairs() / "gender.jsonl").read_text(encoding="utf-8").splitlines()
    pairs.write_text("\n".join(shipped[:2]) + "\n", encoding="utf-8")
    own = invoke(
        "audit", "bias", tuned, "--pairs", pairs, "--out", tmp_path / "own-audit"
    )  # fmt: skip
    assert own.exit_code == 0, own.output
    mine = release(tmp_path / "mine", tuned, "--audit", tmp_path / "own-audit")
    refused = invoke("reproduce", mine.parent, "--workspace", tmp_path / "b", "--base", base)
    assert refused.exit_code == 2 and "bias.suite" in refused.stderr
    documents = tmp_path / "dokumente.jsonl"  # training documents of the auditor's own
    documents.write_text(json.dumps({"text": "Antwort 1. Antwort 2."}) + "\n", encoding="utf-8")
    traced = invoke(
        "audit", "memorisation", tuned, "--training-data", documents, "--samples", "1",
        "--out", tmp_path / "traced-audit",
    )  # fmt: skip
    assert traced.exit_code == 0, traced.output
    refused = invoke(  # its memorisation could never be checked from the bundle
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "traced",
        "--audit", tmp_path / "traced-audit",
    )  # fmt: skip
    assert refused.exit_code == 2 and "ohne --training-data" in refused.stderr, refused.output
    assert not (tmp_path / "traced").exists()


def test_a_fine_tune_on_a_curated_dataset_is_reproduced_from_the_bundle(
    tmp_path: Path, tiny_build
) -> None:
    """The bundle holds the dataset's shards and its record: reproduce puts the dataset
    artifact together again under its id and gets the same fine-tune and bundle. A record
    whose id its own lineage does not give is refused, even with a rewritten MANIFEST."""
    base = base_folder(tmp_path)
    tuned = tmp_path / "tuned"
    tuning = invoke(
        "model", "finetune", base, "--data", tiny_build["dataset"]["path"], "--out", tuned,
        "--steps", "2", "--eval-every", "2", "--merge", "--license", "Apache-2.0",
    )  # fmt: skip
    assert tuning.exit_code == 0, tuning.output
    bundle = release(tmp_path, tuned)
    record = bundle / "training-data" / "finetuning" / "curated-dataset" / "dataset.json"
    assert json.loads(record.read_text())["id"] == Path(tiny_build["dataset"]["path"]).name
    again = ("--workspace", tmp_path / "again", "--base", base, "--json")
    result = invoke("reproduce", bundle.parent, *again)
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "release"}
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())
    meta = json.loads(record.read_text())
    record.write_text(json.dumps(meta | {"id": "ds-0000000000000000"}), encoding="utf-8")
    write_manifest(bundle)  # `verify` names the record against the lineage's hash of it
    checked = " ".join(invoke("verify", bundle).output.split())
    assert "finetuning/curated-dataset/dataset.json: sha256" in checked, checked
    summary = bundle / "AI_ACT_SUMMARY.md"  # it names the record's id: a forger rewrites it too
    said_before = summary.read_text("utf-8")
    summary.write_text(said_before.replace(meta["id"], "ds-0000000000000000"), "utf-8")
    _forged(bundle, record, json.dumps(meta | {"id": "ds-0000000000000000"}))
    refused = invoke("reproduce", bundle.parent, "--workspace", tmp_path / "b", "--base", base)
    assert refused.exit_code == 2 and "ihre Herkunft ergibt aber" in refused.stderr, refused.output
    summary.write_text(said_before, "utf-8")
    _forged(bundle, record, json.dumps(meta | {"files": []}))  # not a file list
    broken = invoke("reproduce", bundle.parent, "--workspace", tmp_path / "c", "--base", base)
    said = " ".join(broken.stderr.split())
    assert broken.exit_code == 2, broken.output
    assert "ist kein Artefakt-Eintrag: files: kein JSON-Objekt" in said, said


def _forged(bundle: Path, record: Path, text: str) -> None:
    """The curated dataset's record rewritten as `text`, and the lineage's hash of it with it,
    as a forger would: `verify` then finds the bundle consistent."""
    from gemeingut.hashing import sha256_file

    lineage = bundle / "training-metadata" / "lineage.json"
    files = json.loads(lineage.read_text("utf-8"))["finetune"]["files"]
    [before] = [digest for rel, digest in files.items() if rel.endswith("/dataset.json")]
    record.write_text(text, encoding="utf-8")
    after = "sha256:" + sha256_file(record)
    lineage.write_text(lineage.read_text("utf-8").replace(before, after), "utf-8")
    write_manifest(bundle)


def test_release_keeps_a_signature_and_never_signs_an_altered_bundle(tmp_path: Path) -> None:
    """`release --sign-key` on a release made before signs as `sign` does: a signature is
    replaced only by `sign --force`, and files that no longer match the MANIFEST never."""
    from gemeingut.release.manifest import SIGNATURE
    from gemeingut.release.signing import create_key

    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    first, second = (create_key(name, tmp_path / "keys") for name in ("amt", "fremd"))
    bundle = release(tmp_path, tuned, "--sign-key", first.private)
    again = [
        "release", "--finetuned", tuned, "--name", "winzig-feinjustiert", "--out",
        tmp_path / "release", "--license", "Apache-2.0", "--sign-key", second.private,
    ]  # fmt: skip
    kept = invoke(*again)
    assert kept.exit_code == 0, kept.output
    assert "bereits signiert" in kept.output and "gemeingut sign --force" in kept.output
    assert verify_bundle(bundle, first.public).signed_by
    (bundle / SIGNATURE).unlink()
    with (bundle / "README.md").open("a", encoding="utf-8") as card:
        card.write("\nNachträglich geändert.\n")
    refused = invoke(*again)
    assert refused.exit_code != 0 and "geändert: README.md" in refused.output
    assert not (bundle / SIGNATURE).exists()


def test_naming_the_base_replaces_the_record_rather_than_writing_into_it(tmp_path: Path) -> None:
    """The record is written under a temporary name and renamed: a file linked to it (the
    fine-tune's own record) keeps its bytes, and a reader never sees half a record."""
    import os

    from gemeingut.release.finetune_bundle import name_base

    original = tmp_path / "tuned" / "finetune.json"
    original.parent.mkdir()
    original.write_text(json.dumps({"base_model": {"path": "/basis"}}), encoding="utf-8")
    published = tmp_path / "finetune.json"
    os.link(original, published)
    assert name_base(published, HUB_ID) == {"path": HUB_ID}
    assert json.loads(published.read_text(encoding="utf-8"))["base_model"]["path"] == HUB_ID
    assert json.loads(original.read_text(encoding="utf-8"))["base_model"]["path"] == "/basis"


@pytest.mark.parametrize(
    "dropped, said",
    [(("name",), "Winzige Basis"), (("name", "path"), "Basismodell")],
    ids=["by-its-reference", "unnamed"],
)
def test_a_base_the_record_does_not_name_is_said_in_the_readers_language(
    closed: Path, tmp_path: Path, dropped: tuple[str, ...], said: str
) -> None:
    """A hand-edited record without the base's name: the bundle's reference to it stands in,
    and without one the reader's word for a base model, never an English one."""
    from gemeingut.i18n import text
    from gemeingut.release.openness.evidence import collect
    from gemeingut.release.openness.finetune_rating import rate_finetune

    bundle = tmp_path / "bundle"
    shutil.copytree(closed, bundle)
    path = bundle / "training-metadata" / "finetune.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    for key in dropped:
        del record["base_model"][key]
    path.write_text(json.dumps(record), encoding="utf-8")
    result = rate_finetune(collect(bundle))
    rows = {row["name"]: text(row["detail"]) for row in result["mof"]["components"]}
    assert rows["Datasets"] == f"vom Basismodell {said} nicht veröffentlicht"
    five = next(c for c in result["checks"] if c["id"] == "artifacts.five")
    assert f"vom Basismodell {said} zurückgehalten" in text(five["detail"])
    assert not any("base model" in line for line in rows.values())


def _energy_documents(bundle: Path) -> tuple[dict, dict, object]:
    """The Model Documentation Form, the FMTI energy row and the SPDX model as the bundle's
    files give them now (rendered, not read: a copy changed by a test is not re-released)."""
    import io

    from spdx_python_model import v3_0_1 as spdx

    from gemeingut.release.openness.evidence import collect
    from gemeingut.release.openness.finetune_claims import finetune_documents

    documents = finetune_documents(bundle, collect(bundle), rating(bundle))
    form = json.loads(documents["model_documentation.json"]())
    fmti = json.loads(documents["fmti.json"]())
    [row] = [r for r in fmti["indicators"] if r["indicator"] == "Energy usage"]
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(documents["spdx.json"]().encode()), objects)
    models = {m.name: m for m in objects.foreach() if type(m).__name__ == "ai_AIPackage"}
    return form["energy_consumption"], row, models


def test_the_fine_tunings_energy_is_stated_and_the_bases_as_it_states_it(
    closed: Path, tmp_path: Path
) -> None:
    record = json.loads((closed / "training-metadata" / "finetune.json").read_text())
    kwh = record["energy"]["kwh_this_run"]
    form, row, models = _energy_documents(closed)
    assert (form["kwh"], form["base_model"]) == (kwh, "not stated by the base")
    assert row["met"] and row["evidence"].startswith("training-metadata/finetune.json (energy")
    assert row["base_model"] == "not stated by the base"
    consumption = models["winzig-feinjustiert"].ai_energyConsumption
    assert [d.ai_energyQuantity for d in consumption.ai_finetuningEnergyConsumption] == [kwh]
    report = (closed / "TECHNICAL_REPORT.md").read_text(encoding="utf-8")
    assert f"| Energie der Feinabstimmung | {as_written(f'{kwh:.3g}', 'de')} kWh (" in report
    assert not consumption.ai_trainingEnergyConsumption  # the base's: not known, not invented
    assert models["Winzige Basis"].comment == "Energy of its training: not stated by the base"
    # A base whose card states its emissions (the Hub's field; it has none for energy)
    bundle = tmp_path / "bundle"
    shutil.copytree(closed, bundle)
    card = bundle / "base-model" / "README.md"
    emissions = "co2_eq_emissions:\n  emissions: 1234.5\n  source: CodeCarbon\n"
    card.write_text(card.read_text("utf-8").replace("---\n", "---\n" + emissions, 1), "utf-8")
    form, row, models = _energy_documents(bundle)
    assert form["base_model"]["kwh"] == "not stated by the base"
    assert form["base_model"]["co2_eq_emissions"] == {"emissions": 1234.5, "source": "CodeCarbon"}
    assert form["base_model"]["evidence"] == "base-model/README.md (co2_eq_emissions)"
    assert "1234.5 g CO2" in row["base_model"] and "1234.5 g CO2" in models["Winzige Basis"].comment


def test_a_fine_tune_bundle_from_before_energy_was_measured_says_it_is_not_recorded(
    closed: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(closed, bundle)
    path = bundle / "training-metadata" / "finetune.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["energy"]
    for key in ("energy_kwh", "energy_method"):
        del record["stats"][key]
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    form, row, models = _energy_documents(bundle)
    assert form["kwh"].startswith("not recorded") and form["method"].startswith("not recorded")
    assert not row["met"]
    assert models["winzig-feinjustiert"].ai_energyConsumption is None
    report = render_finetune_report(bundle)
    assert "| Energie der Feinabstimmung | nicht erfasst (feinabgestimmt, bevor" in report


def test_verify_of_a_fine_tune_of_a_foreign_base_does_not_import_torch(closed: Path) -> None:
    """Knowing which model types transformers implements must not import it (and torch)."""
    code = (
        "import sys; from gemeingut.cli import app; "
        f"sys.argv = ['gemeingut', 'verify', {str(closed)!r}]\n"
        "try: app()\n"
        "except SystemExit as e: assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
