"""`gemeingut openness rate` on foreign folders grades the European Open Source AI Index's 14
parameters and the FMTI indicators from the folder's files, names the clauses that make the
Llama, Gemma and OpenRAIL licences not open, and says which MOF fields no file fills."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from safetensors.numpy import save_file

from gemeingut.model.card_header import named_licence, read_card
from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.test_cli import invoke

pytestmark = pytest.mark.usefixtures("hub_offline")

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "mof"
APACHE_TEXT = "                                 Apache License\n   Version 2.0, January 2004\n"
DATA_SECTION = """
## Training data

The model was trained on 2 billion tokens of German public-sector text: federal laws from
https://www.gesetze-im-internet.de (public domain, § 5 UrhG), parliamentary protocols
(CC-BY-4.0) and municipal open data (DL-DE-BY-2.0). Documents were deduplicated with MinHash
and filtered for language and quality.
"""
HARDWARE_SECTION = """
## Hardware

Trained on 8 NVIDIA A100 GPUs (80 GB) for 3 days on a university cluster in Germany.
"""


def _model(root: Path, header: str, body: str = "", licence_text: str | None = None) -> Path:
    """A tiny Llama folder as the Hub lays it out: config, safetensors weights, card."""
    root.mkdir(parents=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 8}
    (root / "config.json").write_text(json.dumps(config), "utf-8")
    save_file({"model.embed_tokens.weight": np.ones((8, 4), dtype=np.float32)},
              str(root / "model.safetensors"))  # fmt: skip
    (root / "README.md").write_text(f"---\n{header}---\n# tiny\n\nA tiny model.\n{body}", "utf-8")
    if licence_text is not None:
        (root / "LICENSE").write_text(licence_text, "utf-8")
    return root


def _grades(result: dict) -> dict[str, str]:
    return {key: value["class"] for key, value in result["osai_index"].items() if "class" in value}


def _indicator(result: dict, name: str) -> dict:
    return next(r for r in result["fmti"]["indicators"] if r["indicator"] == name)


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


def test_an_open_folder_with_data_information_is_graded_on_all_14_parameters(
    tmp_path: Path,
) -> None:
    folder = _model(
        tmp_path / "m",
        "license: apache-2.0\n",
        DATA_SECTION + HARDWARE_SECTION,
        licence_file("Apache-2.0"),
    )
    (folder / "train.py").write_text("import sys\n\nprint(sys.argv)\n", "utf-8")
    result = rate_folder(folder)
    grades = _grades(result)
    assert len(grades) == 14
    assert grades == {
        "datasources_basemodel": "partial",  # described in the card, not in the folder
        "datasources_endmodel": "",  # no fine-tune: not applicable
        "weights_basemodel": "open",
        "weights_endmodel": "open",
        "trainingcode": "open",
        "code": "partial",  # no data processing or inference code
        "hardware_architecture": "open",
        "preprint": "closed",
        "paper": "closed",
        "modelcard": "open",
        "datasheet": "open",
        "package": "closed",
        "api": "closed",
        "licenses": "open",
    }
    index = result["osai_index"]
    assert index["datasources_basemodel"]["link"] == "README.md"
    assert index["hardware_architecture"]["link"] == "config.json, README.md (Hardware)"
    assert _indicator(result, "Data sources")["met"]
    assert _indicator(result, "Compute hardware")["met"]
    size = _indicator(result, "Model size")
    assert (
        size["met"]
        and size["evidence"] == "model.safetensors"
        and "32 parameters" in size["detail"]
    )
    assert _indicator(result, "Full external model access")["met"]
    assert not _indicator(result, "Evaluation of capabilities")["met"]


def test_an_nc_folder_without_data_information_grades_weights_partial_and_data_closed(
    tmp_path: Path,
) -> None:
    folder = _model(tmp_path / "nc", "license: cc-by-nc-4.0\n")
    result = rate_folder(folder)
    grades = _grades(result)
    assert grades["weights_endmodel"] == "partial" and grades["licenses"] == "partial"
    assert grades["datasources_basemodel"] == "closed" and grades["datasheet"] == "closed"
    assert grades["hardware_architecture"] == "partial"  # config.json, no hardware record
    assert "forbids commercial use" in result["osai_index"]["weights_endmodel"]["notes"]
    assert not _indicator(result, "Full external model access")["met"]
    assert not _indicator(result, "Data sources")["met"]
    shown = invoke("openness", "rate", str(folder))
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert "European Open Source AI Index (osai-index.eu):" in said
    assert "Gewichte des Endmodells: teilweise" in said
    assert "Daten des Basismodells: geschlossen (Datensätze: nicht im Ordner)" in said
    assert "Foundation Model Transparency Index:" in said
    assert "nicht erfüllt: Voller externer Modellzugang" in said


def test_data_in_the_folder_under_an_open_licence_makes_the_data_open(tmp_path: Path) -> None:
    folder = _model(tmp_path / "d", "license: cc-by-4.0\n", DATA_SECTION)
    (folder / "data").mkdir()
    (folder / "data" / "train.jsonl").write_text('{"text": "Ein Satz."}\n', "utf-8")
    result = rate_folder(folder)
    assert result["osai_index"]["datasources_basemodel"]["class"] == "open"
    assert result["osai_index"]["datasources_basemodel"]["link"] == "data/train.jsonl"
    assert _indicator(result, "Data license")["met"]


def test_a_fine_tune_whose_base_is_not_here_grades_the_base_weights_closed(tmp_path: Path) -> None:
    folder = _model(tmp_path / "ft", "license: apache-2.0\nbase_model: org/base\n")
    index = rate_folder(folder)["osai_index"]
    assert index["weights_basemodel"]["class"] == "closed"
    assert "org/base" in index["weights_basemodel"]["notes"]
    assert index["datasources_endmodel"]["class"] == "closed"
    assert index["system"]["basemodelname"] == "org/base"


def test_the_indices_are_written_to_the_yaml_the_command_writes(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", "license: apache-2.0\n", licence_text=APACHE_TEXT)
    out = tmp_path / "rating.yml"
    shown = invoke("openness", "rate", str(folder), "--out", str(out))
    assert shown.exit_code == 0, shown.output
    written = yaml.safe_load(out.read_text("utf-8"))
    assert written["osai_index"]["weights_endmodel"]["class"] == "open"
    assert written["fmti"]["listed"] == len(written["fmti"]["indicators"])


@pytest.mark.parametrize(
    ("header", "licence_text", "words"),
    [
        ("license: llama3\n", None, ["700 million monthly active users", '"Llama 3"']),
        ("license: other\nlicense_name: llama3\n", None, ["Acceptable Use Policy"]),
        ("license: llama3.2\n", None, ["multimodal models", "European Union"]),
        ("", "LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date\n",
         ["700 million", "improve other large language models"]),
        ("license: gemma\n", None, ["Gemma Prohibited Use Policy"]),
        ("", "Gemma Terms of Use\n\nLast modified: April 1, 2024\n", ["Prohibited Use Policy"]),
        ("license: creativeml-openrail-m\n", None, ["Attachment A", "medical advice"]),
    ],
)  # fmt: skip
def test_restricting_licences_are_named_by_their_restrictions(
    tmp_path: Path, header: str, licence_text: str | None, words: list[str]
) -> None:
    weights = _check(
        rate_folder(_model(tmp_path / "m", header, "", licence_text)), "licence.weights"
    )
    assert not weights["passed"]
    assert "restricts use, so it is not open" in weights["detail"], weights
    assert "list of open licences" not in weights["detail"]
    assert all(word in weights["detail"] for word in words), weights


def test_restrictions_are_said_in_german(tmp_path: Path) -> None:
    shown = invoke("openness", "rate", str(_model(tmp_path / "m", "license: llama3\n")))
    said = " ".join(shown.output.split())
    assert "llama3 beschränkt die Nutzung und ist darum nicht offen" in said
    assert "mehr als 700 Millionen monatlich aktive Nutzer" in said


def test_an_openrail_card_with_a_creativeml_licence_text_agrees(tmp_path: Path) -> None:
    text = "CreativeML Open RAIL-M\ndated August 22, 2022\n\nSection I: PREAMBLE\n"
    text += (
        "You agree not to use the Model for any of the restricted uses set forth in Attachment A.\n"
    )
    folder = _model(tmp_path / "m", "license: openrail\n", "", text)
    named = named_licence(folder, read_card(folder))
    assert not named.disagreement and named.file == ("creativeml-openrail-m", "LICENSE")
    result = rate_folder(folder)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and "disagree" not in weights["detail"]
    assert "Attachment A" in weights["detail"]
    said = _check(result, "licence.text")  # its text as given: nothing to compare it with
    assert said["passed"] and said["detail"] == (
        "LICENSE holds the text of creativeml-openrail-m as the releaser gave it, not compared: "
        "gemeingut has no reference text of creativeml-openrail-m; it states use restrictions as "
        "the terms of creativeml-openrail-m do: uses or fields of use are forbidden"
    )  # no MANIFEST is said to bind it: a folder has none


def test_another_family_still_disagrees(tmp_path: Path) -> None:
    text = "CreativeML Open RAIL-M\ndated August 22, 2022\n"
    folder = _model(tmp_path / "m", "license: llama3\n", "", text)
    assert named_licence(folder, read_card(folder)).disagreement


def test_empty_mof_fields_are_flagged_not_invented(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", "license: apache-2.0\n", licence_text=APACHE_TEXT)
    result = rate_folder(folder)
    missing = {row["field"]: row["detail"] for row in result["mof"]["fields_missing"]}
    assert set(missing) == {"producer", "contact"}
    assert result["mof_document"]["release"]["contact"] == ""  # left empty, never made up
    schema = json.loads((STANDARDS / "mof_schema.json").read_text("utf-8"))
    jsonschema.validate(result["mof_document"], schema)
    shown = invoke("openness", "rate", str(folder))
    said = " ".join(shown.output.split())
    assert "fehlt in der MOF-Beschreibung: contact: keine Datei nennt einen Kontakt" in said


def test_two_different_openrail_licences_disagree(tmp_path: Path) -> None:
    """Members of the OpenRAIL family are different licences (each its own Attachment A):
    only the family's own name agrees with any of them."""
    text = "CreativeML Open RAIL-M\ndated August 22, 2022\n"
    folder = _model(tmp_path / "m", "license: bigscience-openrail-m\n", "", text)
    assert named_licence(folder, read_card(folder)).disagreement
    same = _model(tmp_path / "s", "license: creativeml-openrail-m\n", "", text)
    assert not named_licence(same, read_card(same)).disagreement


def test_fine_tuning_data_whose_licence_is_not_named_is_said_so(tmp_path: Path) -> None:
    """Before, data without a named licence was said „not under an open licence“, which no
    file says (a user who gave no `--data-license` has CC0 data, say)."""
    folder = _model(tmp_path / "ft", "base_model: org/base\n")
    (folder / "data").mkdir()
    (folder / "data" / "train.jsonl").write_text('{"text": "Ein Satz."}\n', "utf-8")
    tuning = rate_folder(folder)["osai_index"]["datasources_endmodel"]
    assert (tuning["class"], tuning["link"]) == ("partial", "data/train.jsonl")
    assert tuning["notes"] == "fine-tuning data in the folder, under no licence it names"
