"""`openness rate` counts a component from evidence with content, never from a file name, and
its MOF document names the folder's own files."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from gemeingut.release.openness.foreign import rate_folder
from tests.release.test_openness import STANDARDS, needs_standards
from tests.release.test_openness_rate import DATA_SECTION, MODEL_INDEX, _fill, _folder
from tests.test_cli import invoke

EMPTY = (
    "train.py", "eval.py", "inference.py", "preprocess.py", "DATA_STATEMENT.md",
    "TECHNICAL_REPORT.md", "paper.pdf", "data/train.jsonl", "checkpoints/x", "test-data/x",
    "requirements.txt", "training_args.bin", "samples/a",
)  # fmt: skip


def _row(result: dict, name: str) -> dict:
    return next(c for c in result["mof"]["components"] if c["name"] == name)


def test_empty_files_named_like_every_component_count_for_nothing(tmp_path: Path) -> None:
    empty_index = "model-index:\n- name: x\n  results: []\n"
    folder = _folder(tmp_path / "m", "apache-2.0", extra_header=empty_index)
    for name in EMPTY:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).touch()
    result = rate_folder(folder)
    assert result["mof"]["label"] == "Class III - Open Model (conditional)"
    assert not result["osaid"]["passed"] and not result["open"]
    training = _row(result, "Training code")
    assert not training["present"] and training["detail"] == "train.py: empty"
    assert _row(result, "Datasets")["detail"] == "data/train.jsonl: empty"
    evaluation = _row(result, "Evaluation results")
    assert not evaluation["present"] and "no result with a metric value" in evaluation["detail"]


@pytest.mark.parametrize(
    ("name", "content", "component", "why"),
    [
        ("train.py", "def train(:\n", "Training code", "not Python (line 1)"),
        ("train.py", "# to do\n", "Training code", "no Python statement"),
        ("paper.pdf", "a paper", "Research paper", "damaged, or not a PDF file"),
        ("data/train.jsonl", "\n{broken\n", "Datasets", "not JSON Lines (line 2"),
        ("data/train.csv", "text,licence\n", "Datasets", "no record"),
        ("data/train-0.parquet", "PAR1", "Datasets", "not a Parquet file"),
        ("requirements.txt", " \n\n", "Supporting libraries and tools", "only blank space"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_does_not_count(
    tmp_path: Path, name: str, content: str, component: str, why: str
) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, "utf-8")
    row = _row(rate_folder(folder), component)
    assert not row["present"] and row["detail"].startswith(f"{name}: {why}"), row


def test_the_detail_says_what_each_counted_file_holds(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", DATA_SECTION, MODEL_INDEX)
    _fill(folder)
    (folder / "data" / "train-00001.jsonl").write_text("", "utf-8")
    result = rate_folder(folder)
    data = _row(result, "Datasets")
    assert data["evidence"] == ["data/train-00000.parquet"]
    assert data["detail"].startswith(
        "data/train-00001.jsonl: empty; data/train-00000.parquet: holds records; "
    )
    assert _row(result, "Training code")["detail"].startswith("train.py: Python code; ")
    assert _row(result, "Evaluation results")["detail"].startswith(
        "model-index in README.md: 1 metric value; "
    )
    assert _row(result, "Data card")["detail"].startswith("section 'Training data' of README.md")


def test_files_known_by_name_only_count_and_say_so(tmp_path: Path) -> None:
    """A fine-tune bundle lists its base's files without holding them."""
    copy = tmp_path / "base-model"
    copy.mkdir()
    (copy / "config.json").write_text('{"model_type": "llama"}', "utf-8")
    listing = ["config.json", "model.safetensors", "train.py", "data/train.jsonl"]
    result = rate_folder(copy, listing, "base")
    training = _row(result, "Training code")
    assert training["present"] and training["detail"].startswith(
        "train.py: present by file name only; "
    )
    assert _row(result, "Datasets")["present"]


@pytest.mark.parametrize(
    "withheld",
    [
        "The training data is not publicly available.",
        "The corpus will remain internal to the company.",
        "It is proprietary.",
        "Die Daten sind nicht öffentlich.",
        "Der Korpus bleibt intern.",
        "Der Datensatz wird nicht veröffentlicht.",
    ],
)
def test_a_data_section_that_keeps_the_data_back_is_no_data_information(
    tmp_path: Path, withheld: str
) -> None:
    body = DATA_SECTION.replace("Documents were", f"{withheld} Documents were")
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0", body))
    assert not result["osaid"]["requirements"]["data_information"]["passed"]
    assert "says the data is withheld" in _row(result, "Data card")["detail"]


def test_a_card_and_licence_file_that_disagree_fail_the_licence_check(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "mit")
    (folder / "LICENSE").write_text("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n", "utf-8")
    result = rate_folder(folder)
    weights = next(c for c in result["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"] and weights["evidence"] == "README.md, LICENSE"
    assert weights["detail"].startswith("README.md names MIT, but LICENSE holds EUPL-1.2")
    assert result["licenses"]["weights"] == "MIT AND EUPL-1.2"
    shown = invoke("openness", "rate", str(folder))
    assert "README.md nennt MIT, LICENSE enthält aber EUPL-1.2" in " ".join(shown.output.split())


def test_a_card_in_utf16_is_said_not_read_as_no_licence(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    (folder / "README.md").write_bytes("---\nlicense: apache-2.0\n---\n# m\n".encode("utf-16"))
    shown = invoke("openness", "rate", str(folder))
    assert shown.exit_code == 2 and "ist nicht UTF-8 (sie sieht nach UTF-16 aus)" in shown.output
    assert "speichern Sie sie als UTF-8" in shown.output and "keine Lizenz" not in shown.output


@needs_standards
def test_the_mof_document_names_the_folders_own_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", DATA_SECTION, MODEL_INDEX)
    _fill(folder)
    shown = invoke("openness", "rate", str(folder), "--json")
    document = json.loads(shown.output)["mof_document"]
    jsonschema.validate(document, json.loads((STANDARDS / "mof_schema.json").read_text("utf-8")))
    release = document["release"]
    assert release["treatment"] == "pre-trained" and "origin" not in release
    assert release["license"]["distribution"] == {"name": "Apache-2.0", "path": "README.md"}
    assert release["license"]["code"] == {"name": "Apache-2.0", "path": None}  # transformers
    assert release["license"]["data"]["path"] == "data/train-00000.parquet"
    named = [p for c in release["components"] for p in c["component_path"].split(", ")]
    assert all((folder / p).is_file() for p in named), named


def test_the_result_is_written_as_its_file_name_says(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    assert invoke("openness", "rate", str(folder), "--out", str(tmp_path / "r.yml")).exit_code == 0
    written = yaml.safe_load((tmp_path / "r.yml").read_text("utf-8"))
    assert written["mof"]["label"] == "Class III - Open Model (conditional)"
    assert invoke("openness", "rate", str(folder), "--out", str(tmp_path / "r.json")).exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text("utf-8")) == written
    refused = invoke("openness", "rate", str(folder), "--out", str(tmp_path / "r.txt"))
    assert refused.exit_code == 2 and "als JSON oder YAML" in refused.output
    assert not (tmp_path / "r.txt").exists()
