"""`gemeingut openness rate` on model folders gemeingut did not build: the classes follow from
what each folder holds, and what is missing is named per class."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

from gemeingut.errors import InputError
from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.test_cli import invoke

DATA_SECTION = """
## Training data

The model was trained on 2 billion tokens of German public-sector text: federal laws from
https://www.gesetze-im-internet.de (public domain, § 5 UrhG), parliamentary protocols
(CC-BY-4.0) and municipal open data (DL-DE-BY-2.0). Documents were deduplicated with MinHash
and filtered for language and quality.
"""

MODEL_INDEX = """model-index:
- name: tiny
  results:
  - task: {type: text-generation}
    dataset: {name: held-out, type: held-out}
    metrics:
    - {type: perplexity, value: 12.5}
"""


def _folder(root: Path, licence: str, body: str = "", extra_header: str = "", qwen=False) -> Path:
    root.mkdir(parents=True)
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    if qwen:
        Qwen2ForCausalLM(Qwen2Config(**sizes)).save_pretrained(root)
    else:
        LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(root)
    header = f"---\nlicense: {licence}\n{extra_header}---\n"
    (root / "README.md").write_text(header + "# tiny\n\nA tiny model.\n" + body, "utf-8")
    return root


def test_open_weights_with_card_only_are_a_conditional_class_iii(tmp_path: Path) -> None:
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0"))
    assert result["mof"]["label"] == "Class III - Open Model (conditional)"
    assert set(result["mof"]["levels"]["3"]["missing"]) == {
        "Technical report",
        "Evaluation results",
        "Data card",
    }
    requirements = result["osaid"]["requirements"]
    assert not requirements["data_information"]["passed"] and requirements["parameters"]["passed"]
    assert not result["open"]


def test_data_information_evaluation_and_report_make_class_iii(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", DATA_SECTION, MODEL_INDEX, qwen=True)
    (folder / "TECHNICAL_REPORT.md").write_text("# Report\n", "utf-8")
    result = rate_folder(folder)
    assert result["mof"]["class"] == 3 and not result["mof"]["conditional"]
    arch = next(c for c in result["mof"]["components"] if c["name"] == "Model architecture")
    assert arch["license"] == "Apache-2.0" and arch["evidence"] == ["config.json"]
    assert "qwen2" in arch["detail"]
    requirements = result["osaid"]["requirements"]
    assert requirements["data_information"]["passed"]
    assert not requirements["code"]["passed"]  # no training or data code in the folder
    assert "Training code" in result["mof"]["levels"]["2"]["missing"]


def _fill(folder: Path) -> None:
    """Every component a folder can hold, each file with content of its kind."""
    for name in ("train.py", "preprocess.py", "inference.py", "eval.py"):
        (folder / name).write_text("import sys\n\nprint(sys.argv)\n", "utf-8")
    for name in ("TECHNICAL_REPORT.md", "paper/paper.md", "samples/a.txt"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("# Report\n\nHow the model was made.\n", "utf-8")
    words = " ".join(f"word{n}" for n in range(300))  # a paper by the rule (`paper.py`)
    (folder / "paper/paper.md").write_text(f"# Paper\n\n## Method\n\n## Results\n\n{words}\n")
    (folder / "requirements.txt").write_text("torch==2.5.1\n", "utf-8")
    (folder / "training_args.json").write_text('{"lr": 0.001}', "utf-8")
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "step-100.safetensors").write_bytes(
        (folder / "model.safetensors").read_bytes()
    )
    for name in ("data/train-00000.parquet", "test-data/test-00000.parquet"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.table({"text": ["Die Würde des Menschen ist unantastbar."]}), folder / name
        )


def test_everything_in_the_folder_under_open_licences_is_class_i(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", DATA_SECTION, MODEL_INDEX)
    _fill(folder)
    (folder / "LICENSE").write_text(licence_file("Apache-2.0"), "utf-8")  # granted with its text
    result = rate_folder(folder)
    assert result["mof"]["label"] == "Class I - Open Science"
    assert result["osaid"]["passed"] and result["open"]


def test_a_non_commercial_licence_is_unclassified_and_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "cc-by-nc-4.0", DATA_SECTION, MODEL_INDEX)
    result = rate_folder(folder)
    assert result["mof"]["class"] == 0
    weights = next(c for c in result["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"] and "commercial" in weights["detail"]
    assert "Model parameters (Final)" in result["mof"]["levels"]["3"]["invalid"]
    assert not result["osaid"]["requirements"]["parameters"]["passed"]


def test_a_person_reads_the_checks_in_their_language_the_written_file_too(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "cc-by-nc-4.0")
    shown = invoke("openness", "rate", str(folder), "--out", str(tmp_path / "o.json"))
    assert shown.exit_code == 0, shown.output
    assert (
        "✗ Lizenz der Gewichte (licence.weights): CC-BY-NC-4.0 verbietet die kommerzielle Nutzung"
    ) in shown.output
    gate = "Open Source AI Definition: nicht bestanden (Dateninformation, Code, Parameter)"
    assert gate in shown.output
    assert "commercial" not in shown.output and "fails" not in shown.output
    written = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    weights = next(c for c in written["checks"] if c["id"] == "licence.weights")
    assert (
        weights["detail"] == "CC-BY-NC-4.0 verbietet die kommerzielle Nutzung: keine offene Lizenz"
    )
    assert written["osaid"]["summary"] == "nicht bestanden (Dateninformation, Code, Parameter)"
    # the check's line says the requirements by their names, as the gate's line does
    assert (
        "✗ Open Source AI Definition (osaid.gate): nicht bestanden (Dateninformation, Code, "
        "Parameter)"
    ) in shown.output
    assert "data_information" not in shown.output
    english = invoke("--lang", "en", "openness", "rate", str(folder))
    assert (
        "✗ licence of the weights (licence.weights): CC-BY-NC-4.0 forbids commercial use"
    ) in english.output


def test_a_custom_licence_and_an_arxiv_paper_are_not_taken_as_open(tmp_path: Path) -> None:
    body = DATA_SECTION + "\nSee https://arxiv.org/abs/2401.01234 for details.\n"
    folder = _folder(tmp_path / "m", "other", body, "license_name: llama3\n")
    result = rate_folder(folder)
    assert result["licenses"]["weights"] == "LicenseRef-llama3" and result["mof"]["class"] == 0
    paper = next(c for c in result["mof"]["components"] if c["name"] == "Research paper")
    assert paper["present"] and not paper["license_open"]


def test_the_cli_rates_a_folder_and_says_what_each_class_lacks(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "mit")
    result = invoke("openness", "rate", str(folder), "--out", str(tmp_path / "o.json"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert (
        "keine Klasse erreicht (Klasse III – Open Model nur bedingt: nur die finalen Gewichte "
        "sind offen lizenziert; "
        "andere erforderliche Bestandteile der Klasse III fehlen oder sind nicht offen "
        "lizenziert)" in said
    )
    assert (
        "für Klasse III: es fehlen Technischer Bericht, Evaluationsergebnisse, Datenkarte" in said
    )
    written = json.loads((tmp_path / "o.json").read_text())
    assert written["mof"]["class"] == 3
    assert written["mof"]["label"] == "Class III - Open Model (conditional)"  # records: English
    missing = invoke("openness", "rate", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "existiert nicht" in missing.output


def test_the_cli_rates_a_bundle_from_its_evidence(tiny_build) -> None:
    result = invoke("openness", "rate", tiny_build["release"]["path"], "--json")
    assert result.exit_code == 0, result.output
    rating = json.loads(result.output)
    shipped = Path(tiny_build["release"]["path"]) / "bundle" / "openness.json"
    assert rating == json.loads(shipped.read_text())


@pytest.mark.parametrize("licence", ["apache-2.0", "mit"])
def test_licence_ids_from_hugging_face_cards_are_understood(tmp_path: Path, licence) -> None:
    result = rate_folder(_folder(tmp_path / licence, licence))
    assert next(c for c in result["checks"] if c["id"] == "licence.weights")["passed"]


def test_a_data_section_that_withholds_the_data_is_no_data_information(tmp_path: Path) -> None:
    withheld = DATA_SECTION.replace(
        "Documents were", "The data is proprietary and will not be disclosed. Documents were"
    )
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0", withheld))
    assert not result["osaid"]["requirements"]["data_information"]["passed"]
    german = DATA_SECTION.replace("Training data", "Trainingsdaten").replace(
        "Documents were", "Die Daten werden nicht veröffentlicht. Documents were"
    )
    result = rate_folder(_folder(tmp_path / "de", "apache-2.0", german))
    assert not result["osaid"]["requirements"]["data_information"]["passed"]


def test_a_licence_file_names_the_licence_where_the_card_does_not(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    (folder / "README.md").write_text("# tiny\n\nA tiny model.\n", "utf-8")
    (folder / "LICENSE").write_text("\n  Apache License\n  Version 2.0, January 2004\n", "utf-8")
    result = rate_folder(folder)
    weights = next(c for c in result["checks"] if c["id"] == "licence.weights")
    assert weights["passed"] and weights["evidence"] == "LICENSE", weights
    assert result["licenses"]["weights"] == "Apache-2.0"
    (folder / "LICENSE").write_text("Mozilla Public License Version 2.0\n==========\n", "utf-8")
    assert rate_folder(folder)["licenses"]["weights"] == "MPL-2.0"  # the one table of texts


def test_a_card_header_that_cannot_be_read_is_said_not_taken_as_no_licence(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    card = folder / "README.md"
    card.write_text("---\nlicense: [apache-2.0\n---\n# tiny\n", "utf-8")
    with pytest.raises(InputError, match=r"README\.md, Zeile 3: .*YAML-Kopf"):
        rate_folder(folder)
    card.write_text("\ufeff---\nlicense: apache-2.0\n---\n# tiny\n", "utf-8")  # with a BOM
    assert rate_folder(folder)["licenses"]["weights"] == "Apache-2.0"  # as SPDX spells it


def test_a_hugging_face_cache_snapshot_is_rated_by_the_files_its_links_name(
    tmp_path: Path,
) -> None:
    model = _folder(tmp_path / "plain", "apache-2.0")
    repository = tmp_path / "hub" / "models--org--tiny"
    snapshot = repository / "snapshots" / "abc123"
    (repository / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for i, source in enumerate(sorted(model.iterdir())):
        blob = repository / "blobs" / f"blob{i}"
        blob.write_bytes(source.read_bytes())
        (snapshot / source.name).symlink_to(Path("../../blobs") / blob.name)
    outside = tmp_path / "elsewhere.safetensors"
    outside.write_bytes(b"x")
    (snapshot / "stray.safetensors").symlink_to(outside)
    result = rate_folder(snapshot)
    weights = next(c for c in result["checks"] if c["id"] == "weights.present")
    assert weights["passed"] and weights["evidence"] == "model.safetensors", weights


APACHE_TEXT = (
    "                                 Apache License\n"
    "                           Version 2.0, January 2004\n"
    "                        http://www.apache.org/licenses/\n\n"
    "   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n"
)


@pytest.mark.parametrize("licence_file", [None, APACHE_TEXT], ids=["card-only", "apache-text"])
def test_a_card_saying_other_named_apache_is_not_rated_as_apache(
    tmp_path: Path, licence_file: str | None
) -> None:
    """`license: other` says the terms are none of the Hub's list, whatever `license_name`
    resembles: SPDX's index would read its LicenseRef as Apache-2.0 by an alias. A LICENSE file
    whose text opens as Apache-2.0's does not settle it: the card says other terms (a licence
    built on Apache-2.0 with added restrictions opens the same), so both apply and the
    publisher must say which."""
    folder = _folder(tmp_path / "m", "other", "", "license_name: apache-2.0\n")
    if licence_file is not None:
        (folder / "LICENSE").write_text(licence_file, "utf-8")
    shown = invoke("openness", "rate", str(folder), "--json")
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    weights = next(c for c in result["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"] and not result["open"] and result["mof"]["class"] == 0
    if licence_file is None:
        assert result["licenses"]["weights"] == "LicenseRef-apache-2.0"
        assert weights["detail"] == (  # in words, not as the LicenseRef id it is recorded as
            "README.md names no standard licence (license: other): whether its terms are open "
            "is not checked"
        )
    else:
        assert result["licenses"]["weights"] == "LicenseRef-apache-2.0 AND Apache-2.0"
        assert weights["detail"].startswith(
            "README.md names LicenseRef-apache-2.0, but LICENSE holds Apache-2.0: they disagree"
        )
    parameters = next(c for c in result["mof"]["components"] if c["name"].endswith("(Final)"))
    assert not parameters["license_open"]


def test_a_bundles_model_folder_rated_alone_points_to_the_bundle(bundle: Path) -> None:
    """`bundle/model` has no card or licence of its own: rated alone it is not open, which is
    true of the folder, and the output says which rating covers the model as released."""
    shown = invoke("openness", "rate", str(bundle / "model"))
    said = " ".join(shown.output.split())
    assert shown.exit_code == 0, shown.output
    assert f"gemeingut openness rate {bundle.resolve()}" in said
    assert "ist Teil des Release-Pakets" in said
    whole = invoke("openness", "rate", str(bundle))
    assert "Teil des Release-Pakets" not in whole.output
