"""`openness rate` on foreign folders judges what their texts say, not how long they are: a data
section of marketing that refuses to name its sources is no data information, a data card with
named datasets, licences and sizes is; terms of their own are read for use restrictions; the
licence text, evaluation and code are said as found, and the headline says what was reached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gemeingut.release.openness.foreign import rate_folder
from gemeingut.serve.model_openness import model_openness
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

FLUFF_DE = """
## Trainingsdaten
Das Modell wurde auf einer sorgfältig zusammengestellten Mischung hochwertiger Daten trainiert,
die wir über viele Monate gesammelt haben. Die Daten wurden mit modernsten Verfahren gefiltert
und aufbereitet, um höchste Qualität zu gewährleisten. Aus Wettbewerbsgründen nennen wir die
einzelnen Quellen nicht. Wir sind stolz auf die Qualität dieser Daten und ihre Vielfalt.
"""
FLUFF_EN = """
## Training data
The model was trained on a carefully curated mixture of high-quality data gathered over many
months and refined with state-of-the-art methods to ensure the highest quality. The individual
sources are not disclosed for competitive reasons. We are proud of the diversity of this data.
"""
DATASET_LIST = """
## Training data
| Dataset | Licence | Size |
|---|---|---|
| [wikimedia/wikipedia](https://huggingface.co/datasets/wikimedia/wikipedia) (20231101.de) \
| CC-BY-SA-4.0 | 2.9 million articles |
| [HuggingFaceFW/fineweb-2](https://huggingface.co/datasets/HuggingFaceFW/fineweb-2) (deu_Latn) \
| ODC-By-1.0 | 40 billion tokens |
"""
DATA_STATEMENT = """# Datenerklärung

Korpus: Bundesgesetze und Verordnungen von https://www.gesetze-im-internet.de (gemeinfrei,
§ 5 UrhG) sowie Plenarprotokolle des Bundestages (CC-BY-4.0), Stand März 2024.
Umfang: 1,2 Millionen Dokumente, 850 Millionen Tokens. Dubletten wurden entfernt
(MinHash), personenbezogene Daten pseudonymisiert.
"""
CUSTOM_TERMS = """WINZIG COMMUNITY LICENSE AGREEMENT

1. Grant of Rights. You are granted a non-exclusive, worldwide, royalty-free limited license to
use, reproduce, distribute and modify the Winzig Materials.
iv. Your use of the Winzig Materials must adhere to the Acceptable Use Policy for the Winzig
Materials, which is hereby incorporated by reference into this Agreement.
v. You will not use the Winzig Materials or any output or results of the Winzig Materials to
improve any other large language model.

2. Additional Commercial Terms. If the monthly active users of the products or services made
available by the Licensee is greater than 700 million monthly active users in the preceding
calendar month, you must request a license from Beispiel AG.
"""


def _row(result: dict, name: str) -> dict:
    return next(c for c in result["mof"]["components"] if c["name"] == name)


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


def _said(*args: str) -> str:
    shown = invoke("openness", "rate", *args)
    assert shown.exit_code == 0, shown.output
    return " ".join(shown.output.split())  # rich wraps long lines


@pytest.mark.parametrize(
    "body, refusal, found",
    [
        (FLUFF_DE, "nennen wir die einzelnen Quellen nicht", "found: processing (gefiltert)"),
        (FLUFF_EN, "not disclosed", "found: nothing about the data"),
    ],
)
def test_a_data_section_of_marketing_that_names_no_source_is_no_data_information(
    tmp_path: Path, body: str, refusal: str, found: str
) -> None:
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0", body))
    assert not result["osaid"]["requirements"]["data_information"]["passed"]
    card = _row(result, "Data card")
    assert not card["present"] and refusal in card["detail"]
    assert found in card["detail"]  # what it does say, to ask from there
    assert result["osai_index"]["datasheet"]["class"] == "closed"
    sources = next(i for i in result["fmti"]["indicators"] if i["indicator"] == "Data sources")
    assert not sources["met"]


def test_a_section_without_a_refusal_but_without_evidence_says_what_it_lacks(
    tmp_path: Path,
) -> None:
    body = "\n## Training data\n" + "We used only the finest, most diverse and cleanest data. " * 5
    card = _row(rate_folder(_folder(tmp_path / "m", "apache-2.0", body)), "Data card")
    assert not card["present"]
    assert "is no data information: it names no source" in card["detail"]
    assert "not said: sources, licences, sizes, time range, processing" in card["detail"]


def test_a_dataset_list_with_links_licences_and_sizes_is_data_information(tmp_path: Path) -> None:
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0", DATASET_LIST))
    assert result["osaid"]["requirements"]["data_information"]["passed"]
    card = _row(result, "Data card")
    assert card["present"] and card["evidence"] == ["README.md"]
    assert "https://huggingface.co/datasets/wikimedia/wikipedia" in card["detail"]
    assert "CC-BY-SA-4.0" in card["detail"] and "40 billion tokens" in card["detail"]
    assert "not said: time range" in card["detail"]
    data_info = result["osaid"]["requirements"]["data_information"]["detail"]
    assert "ODC-By-1.0" in data_info  # the gate says what it rests on
    assert result["osai_index"]["datasheet"]["class"] == "open"


def test_a_data_statement_file_counts_by_what_it_names(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    (folder / "DATA_STATEMENT.md").write_text(DATA_STATEMENT, "utf-8")
    card = _row(rate_folder(folder), "Data card")
    assert card["present"] and card["evidence"] == ["DATA_STATEMENT.md"]
    assert "850 Millionen Tokens" in card["detail"] and "Stand März 2024" in card["detail"]
    said = _said(str(folder))
    assert "DATA_STATEMENT.md nennt Quellen (https://www.gesetze-im-internet.de" in said
    (folder / "DATA_STATEMENT.md").write_text("# Daten\n" + FLUFF_DE, "utf-8")
    card = _row(rate_folder(folder), "Data card")
    assert not card["present"] and "nennen wir die einzelnen Quellen nicht" in card["detail"]


def test_terms_of_their_own_are_read_for_use_restrictions(tmp_path: Path) -> None:
    header = "license_name: winzig\nlicense_link: LICENSE\n"
    folder = _folder(tmp_path / "m", "other", extra_header=header)
    (folder / "LICENSE").write_text(CUSTOM_TERMS, "utf-8")
    result = rate_folder(folder)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and weights["detail"].startswith("LICENSE restricts use")
    for said in ("active users", "use policy", "improve other models", "700 million"):
        assert said in weights["detail"], said
    assert "is not checked" not in weights["detail"]
    final = _row(result, "Model parameters (Final)")
    assert not final["license_open"] and "Acceptable Use Policy" in final["detail"]
    shown = _said(str(folder))
    assert "LICENSE beschränkt die Nutzung, daher sind die Bedingungen darin nicht offen" in shown


def test_an_open_licence_text_states_no_use_restriction(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    (folder / "LICENSE").write_text(licence_file("Apache-2.0"), "utf-8")
    result = rate_folder(folder)
    assert _check(result, "licence.weights")["passed"]
    assert "restricts use" not in json.dumps(result)


@pytest.mark.parametrize(
    "header", ["license: llama2\n", "license: other\nlicense_name: llama3\nlicense_link: LICENSE\n"]
)
def test_terms_named_by_id_or_license_name_are_checked_alike(tmp_path: Path, header: str) -> None:
    folder = _folder(tmp_path / "m", "x", extra_header=header)
    card = (folder / "README.md").read_text("utf-8").replace("license: x\n", "")
    (folder / "README.md").write_text(card, "utf-8")
    (folder / "LICENSE").write_text(CUSTOM_TERMS, "utf-8")
    said = _check(rate_folder(folder), "licence.text")
    assert said["passed"], said
    assert "not compared" in said["detail"]  # no reference text: said so, with what it states
    assert "it states use restrictions" in said["detail"] and "use policy" in said["detail"]
    (folder / "LICENSE").write_text("WINZIG COMMUNITY LICENSE AGREEMENT\n", "utf-8")
    said = _check(rate_folder(folder), "licence.text")  # a title is not the terms
    assert not said["passed"] and "states none of the use restrictions" in said["detail"]


def test_a_licence_file_of_another_licence_is_said_as_that_not_as_part_of_the_card_s(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path / "m", "mit")
    (folder / "LICENSE").write_text(licence_file("Apache-2.0"), "utf-8")
    said = _check(rate_folder(folder), "licence.text")
    assert not said["passed"]
    assert said["detail"].startswith("LICENSE is the text of Apache-2.0, not of MIT")
    assert "part of the text" not in said["detail"]


def test_a_code_link_is_said_without_the_sentence_s_full_stop(tmp_path: Path) -> None:
    body = "\n## Training code\nThe code is on https://github.com/beispiel-ag/winzig-train.\n"
    result = rate_folder(_folder(tmp_path / "m", "apache-2.0", body))
    said = result["osai_index"]["trainingcode"]["notes"]
    assert "https://github.com/beispiel-ag/winzig-train" in said
    assert "winzig-train." not in said


@pytest.mark.parametrize("heading", ["Evaluierung", "Evaluation"])
def test_an_evaluation_section_with_results_counts_where_it_is(
    tmp_path: Path, heading: str
) -> None:
    body = f"\n## {heading}\nPerplexität auf dem Testteil: 12.3; Genauigkeit (ARC-de): 41,5 %\n"
    row = _row(rate_folder(_folder(tmp_path / "m", "apache-2.0", body)), "Evaluation results")
    assert row["present"] and row["evidence"] == ["README.md"]
    assert f"section '{heading}' of README.md: 2 results (12.3, 41,5 %)" in row["detail"]
    empty = f"\n## {heading}\nWe evaluated the model carefully in 2024.\n"
    row = _row(rate_folder(_folder(tmp_path / "n", "apache-2.0", empty)), "Evaluation results")
    assert not row["present"]


def test_the_headline_says_no_class_was_reached(tmp_path: Path) -> None:
    said = _said(str(_folder(tmp_path / "m", "apache-2.0")))
    assert (
        "Model Openness Framework: keine Klasse erreicht (Klasse III – Open Model nur bedingt"
        in (said)
    )


def test_the_code_licence_is_none_where_the_folder_holds_no_code(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    result = rate_folder(folder)
    assert result["licenses"]["code"] is None
    assert result["licenses_unknown"]["code"] == "no code in the folder"
    served = model_openness(folder).in_language("de")
    assert served.licenses["code"] is None and served.licenses_said["code"] == "kein Code im Ordner"
    (folder / "train.py").write_text("import torch\n\nprint(torch.__version__)\n", "utf-8")
    result = rate_folder(folder)
    assert result["licenses"]["code"] == "Apache-2.0" and "code" not in result["licenses_unknown"]


def test_the_written_rating_is_in_the_reader_s_language(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "cc-by-nc-4.0")
    out = tmp_path / "rating.yml"
    _said(str(folder), "--out", str(out))
    german = yaml.safe_load(out.read_text("utf-8"))
    assert "verbietet die kommerzielle Nutzung" in _check(german, "licence.weights")["detail"]
    shown = invoke(
        "--lang", "en", "openness", "rate", str(folder), "--out", str(tmp_path / "r.json")
    )
    assert shown.exit_code == 0, shown.output
    english = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert "forbids commercial use" in _check(english, "licence.weights")["detail"]


@pytest.mark.parametrize(
    "sentence, refusal",
    [
        ("Wir nennen die Quellen nicht.", "Wir nennen die Quellen nicht"),
        ("Dazu machen wir keine Angaben.", "keine Angaben"),
        ("The sources are proprietary.", "proprietary"),
        ("We do not disclose the individual sources.", "do not disclose"),
        ("We will release the corpus on https://example.org/corpus (CC-BY-4.0).", None),
    ],
)
def test_a_refusal_is_found_in_either_word_order_and_a_promise_is_none(
    sentence: str, refusal: str | None
) -> None:
    from gemeingut.release.openness.data_information import assess

    assert assess(sentence).refusal == refusal
