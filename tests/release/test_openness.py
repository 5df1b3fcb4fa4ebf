"""Openness is computed from a bundle's files, written into openness.json, mof.yml and the card,
and re-checked by `verify`: an edited claim or licence is named."""

import json
import re
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from gemeingut.errors import InputError, VerifyError
from gemeingut.recipe import ReleaseSection
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.licences import code_licence, collection_expression, content_licence
from gemeingut.release.openness.mof import classify, components, found
from gemeingut.release.verify import verify_bundle
from gemeingut.stages import release_stage
from gemeingut.workspace import at, load_artifact

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "mof"
needs_standards = pytest.mark.skipif(not STANDARDS.is_dir(), reason="../shared/standards missing")
ROLES = ("dataset", "tokenizer", "model", "evaluation", "finetune")


def _rating(bundle: Path) -> dict:
    return json.loads((bundle / "openness.json").read_text(encoding="utf-8"))


def _checks(bundle: Path) -> dict[str, dict]:
    return {c["id"]: c for c in _rating(bundle)["checks"]}


def test_code_needs_an_osi_licence_and_content_an_open_one() -> None:
    assert code_licence("EUPL-1.2").open and code_licence("MIT OR CC-BY-NC-4.0").open
    assert not code_licence("CC-BY-4.0").open
    assert not code_licence("MIT AND CC-BY-NC-4.0").open
    assert content_licence("DL-DE-BY-2.0").open and content_licence("Apache-2.0").open
    assert content_licence("CC-BY-SA-4.0").share_alike
    nc = content_licence("CC-BY-NC-4.0")
    assert not nc.open and "commercial" in nc.detail
    assert collection_expression(["CC0-1.0", "CC-BY-4.0", "CC0-1.0"]) == "CC-BY-4.0 AND CC0-1.0"


@needs_standards
def test_the_shipped_component_table_is_the_official_one() -> None:
    official = yaml.safe_load((STANDARDS / "mof.settings.yml").read_text())["components"]
    ours = {c.name: c for c in components()}
    assert len(ours) == len(official)
    for row in official:
        mine = ours[row["name"]]
        assert (mine.id, mine.mof_class, mine.required, mine.content_type) == (
            row["id"],
            row["class"],
            row["required"],
            row["content_type"],
        )


def _all_present(**overrides: tuple[list[str], str | None]) -> list:
    parts = []
    for c in components():
        paths, licence = overrides.get(
            c.name, (["x"], "EUPL-1.2" if c.content_type == "code" else "CC-BY-4.0")
        )
        parts.append(found(c, paths, licence))
    return parts


def test_mof_classes_follow_the_model_openness_tool() -> None:
    assert classify(_all_present())["class"] == 1
    no_paper = classify(_all_present(**{"Research paper": ([], None)}))
    assert no_paper["class"] == 2 and no_paper["levels"]["1"]["missing"] == ["Research paper"]
    no_report = classify(_all_present(**{"Technical report": ([], None)}))
    assert no_report["class"] == 3 and no_report["conditional"]
    nc = classify(_all_present(**{"Model parameters (Final)": (["m"], "CC-BY-NC-4.0")}))
    assert nc["class"] == 0 and "Model parameters (Final)" in nc["levels"]["3"]["invalid"]
    gpl_data = classify(_all_present(**{"Datasets": (["d"], "LicenseRef-Proprietary")}))
    assert gpl_data["class"] == 2 and gpl_data["levels"]["1"]["invalid"] == ["Datasets"]


@needs_standards
def test_mof_yaml_validates_against_the_official_schema(bundle: Path) -> None:
    schema = json.loads((STANDARDS / "mof_schema.json").read_text())
    document = yaml.safe_load((bundle / "mof.yml").read_text())
    jsonschema.validate(document, schema)
    names = {c["name"] for c in document["release"]["components"]}
    assert {"Model parameters (Final)", "Training code", "Model card"} <= names
    assert document["release"]["license"]["distribution"]["name"] == "Apache-2.0"


def test_a_release_without_data_card_is_rated_by_what_it_lacks(bundle: Path) -> None:
    rating = _rating(bundle)
    assert rating["mof"]["levels"]["3"]["missing"] == ["Data card"]
    assert rating["mof"]["label"] == "Class III - Open Model (conditional)"
    assert not rating["osaid"]["requirements"]["data_information"]["passed"]
    assert rating["osaid"]["requirements"]["code"]["passed"]
    assert not rating["open"]
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "Dieses Release ist **nicht offen**" in card and "osaid.gate" in card
    assert "not-open" in yaml.safe_load(card.split("---")[1])["tags"]


def test_a_non_commercial_release_builds_but_is_rated_not_open(tiny_build, tmp_path) -> None:
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"])) for k in ROLES}
    section = ReleaseSection(model_name="nc", license="CC-BY-NC-4.0", commercial_use=False)
    release, _ = release_stage(at(tmp_path / "r"), section, None, artifacts)
    bundle = release.path / "bundle"
    checks = _checks(bundle)
    assert not checks["licence.weights"]["passed"]
    assert "forbids commercial use" in checks["licence.weights"]["detail"]
    assert _rating(bundle)["mof"]["class"] == 0
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "**nicht offen**" in card and "**offenes** Modell" not in card
    # the failed check is said in the card's language, and about the licence, not "the data"
    assert "`licence.weights`: CC-BY-NC-4.0 verbietet die kommerzielle Nutzung" in card
    assert verify_bundle(bundle).files > 0  # honest about itself: it verifies


def test_an_english_card_is_written_when_the_release_asks_and_verifies(tiny_build, tmp_path):
    """`document_language` picks the card's and NOTICE's words; verify reads it from
    release.json and looks for the card's claims in that language, numbers written so."""
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"])) for k in ROLES}
    section = ReleaseSection(model_name="en", document_language="en")
    release, _ = release_stage(at(tmp_path / "r"), section, None, artifacts)
    bundle = release.path / "bundle"
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "## Training data" in card and "## Trainingsdaten" not in card
    assert "This release is **not open**" in card  # no data card: see the test above
    assert (bundle / "NOTICE").read_text(encoding="utf-8").startswith("NOTICE for en\n")
    assert verify_bundle(bundle).files > 0
    stated = card.split(" parameters,")[0].rsplit(", ", 1)[1]
    assert "," in stated  # 1,234,567: English digit groups
    _edit(bundle, "README.md", f"{stated} parameters", "7,000,000,000 parameters")
    with pytest.raises(
        VerifyError, match=r"nennt nicht die .* Parameter, die die Gewichte enthalten"
    ):
        verify_bundle(bundle)


def test_share_alike_data_under_a_permissive_model_licence_is_named(tiny_build, tmp_path):
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"])) for k in ROLES}
    release, _ = release_stage(at(tmp_path / "r"), ReleaseSection(model_name="x"), None, artifacts)
    bundle = release.path / "bundle"
    _relicense_one_document(bundle, "CC-BY-SA-4.0")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    message = str(caught.value)
    assert "(licence.share-alike) sagt bestanden" in message
    assert "übernimmt die Share-alike-Daten nicht: CC-BY-SA-4.0 (" in message


def _relicense_one_document(bundle: Path, licence: str) -> None:
    shard = sorted((bundle / "training-data").glob("train-*.parquet"))[0]
    table = pq.read_table(shard)
    licences = table["license"].to_pylist()
    licences[0] = licence
    index = table.schema.get_field_index("license")
    table = table.set_column(index, "license", pa.array(licences, pa.string()))
    pq.write_table(table, shard)
    write_manifest(bundle)


def test_a_licence_changed_in_a_source_is_named_by_verify(bundle: Path) -> None:
    _relicense_one_document(bundle, "CC-BY-NC-4.0")
    with pytest.raises(
        VerifyError,
        match=r"Prüfung Lizenzen der Trainingsdaten \(licence.training-data\) sagt bestanden"
        r".*CC-BY-NC",
    ):
        verify_bundle(bundle)


def _edit(bundle: Path, name: str, old: str, new: str) -> None:
    path = bundle / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    write_manifest(bundle)


def test_a_perplexity_edited_in_the_card_is_named(bundle: Path) -> None:
    results = json.loads((bundle / "training-metadata" / "evaluation.json").read_text())
    value = f"{round(results['perplexity'], 6)}"
    _edit(bundle, "README.md", f"value: {value}", "value: 1.5")
    with pytest.raises(VerifyError, match=r"README\.md: perplexity 1\.5, aber .*evaluation\.json"):
        verify_bundle(bundle)


def test_a_parameter_count_edited_in_the_card_is_named(bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    stated = card.split(" Parameter,")[0].rsplit(", ", 1)[1]
    _edit(bundle, "README.md", f"{stated} Parameter", "7.000.000.000 Parameter")
    held = re.escape(stated)  # German digit groups, as the card writes them
    with pytest.raises(VerifyError, match=rf"nennt nicht die {held} Parameter, die die Gewichte"):
        verify_bundle(bundle)


def test_a_licence_edited_in_the_card_is_named(bundle: Path) -> None:
    _edit(bundle, "README.md", "license: apache-2.0", "license: mit")
    with pytest.raises(VerifyError, match=r"Lizenz .mit., aber release\.json sagt .Apache-2\.0."):
        verify_bundle(bundle)


def test_an_openness_result_edited_to_pass_is_named(bundle: Path) -> None:
    rating = _rating(bundle)
    for check in rating["checks"]:
        check["passed"] = True
    rating["open"] = True
    (bundle / "openness.json").write_text(json.dumps(rating, indent=2))
    write_manifest(bundle)
    with pytest.raises(
        VerifyError,
        match=r"Prüfung Open Source AI Definition \(osaid.gate\) sagt bestanden .* die Dateien "
        r"ergeben nicht bestanden",
    ) as refused:
        verify_bundle(bundle)
    # the shipped detail, English in the file, is said in German where it is the recomputed one
    said = next(p for p in str(refused.value).splitlines() if "(osaid.gate)" in p)
    shipped, again = said.split(", die Dateien ergeben ")
    assert shipped.split("sagt bestanden ")[1] == again.split("nicht bestanden ", 1)[1], said


def test_a_bundle_of_another_gemeingut_is_told_to_check_with_that_version(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit(bundle, "TECHNICAL_REPORT.md", "## 1. Überblick", "## 1. Überblick\n\nAnders.")
    with pytest.raises(VerifyError) as same:
        verify_bundle(bundle)
    assert "unveränderte Kopie" in str(same.value)  # made by this very code: altered
    monkeypatch.setattr("gemeingut.release.verify.code_version", lambda: "gemeingut 9.9.9")
    with pytest.raises(VerifyError, match=r"dies ist gemeingut 9\.9\.9: ein Dokument, das jene"):
        verify_bundle(bundle)


def test_an_edited_technical_report_is_named(bundle: Path) -> None:
    _edit(bundle, "TECHNICAL_REPORT.md", "## 1. Überblick", "## 1. Überblick\n\nBestes Modell.")
    with pytest.raises(VerifyError, match=r"TECHNICAL_REPORT\.md weicht von dem ab"):
        verify_bundle(bundle)


def test_a_release_json_whose_licence_is_changed_is_caught_by_the_card(bundle: Path) -> None:
    info = json.loads((bundle / "release.json").read_text())
    info["licenses"]["weights"] = "MIT"
    (bundle / "release.json").write_text(json.dumps(info))
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"README\.md: Lizenz .apache-2\.0., aber release\.json"):
        verify_bundle(bundle)


def test_a_split_count_edited_in_the_card_is_recounted_from_the_shards(bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    row = next(line for line in card.splitlines() if line.startswith("| train | "))
    docs = int(row.split("|")[2])
    _edit(bundle, "README.md", row, row.replace(f"| {docs} |", f"| {docs + 100} |"))
    with pytest.raises(
        VerifyError,
        match=rf"Zeile train der Split-Tabelle ist nicht, was die Shards enthalten \({docs} ",
    ):
        verify_bundle(bundle)


def test_a_language_declared_without_documents_in_it_is_named(bundle: Path) -> None:
    info = json.loads((bundle / "release.json").read_text())
    info["languages"] = ["de", "en", "fr"]
    (bundle / "release.json").write_text(json.dumps(info))
    _edit(bundle, "README.md", "- en\n", "- en\n- fr\n")
    with pytest.raises(
        VerifyError, match=r"Sprachen \['fr'\], aber kein behaltenes Dokument ist in ihnen"
    ):
        verify_bundle(bundle)


def test_share_alike_conflicts_name_the_licence_and_its_sources() -> None:
    from gemeingut.release.openness.licences import share_alike_conflicts

    sources = {"CC-BY-SA-4.0": {"wiki"}, "CC0-1.0": {"laws"}, "ODbL-1.0": {"osm"}}
    assert share_alike_conflicts("Apache-2.0", sources) == {
        "CC-BY-SA-4.0": {"wiki"},
        "ODbL-1.0": {"osm"},
    }
    assert share_alike_conflicts("cc-by-sa-4.0 AND ODbL-1.0", sources) == {}


def test_a_release_that_would_not_carry_share_alike_data_is_refused(tiny_build, tmp_path):
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"])) for k in ROLES}
    artifacts["finetune"].meta["params"]["data_license"] = "CC-BY-SA-4.0"
    with pytest.raises(InputError, match=r"CC-BY-SA-4\.0 \(Feinabstimmungsdaten\)") as caught:
        release_stage(at(tmp_path / "r"), ReleaseSection(model_name="x"), None, artifacts)
    assert "CC-BY-SA-4.0" in str(caught.value.hint)


def test_fine_tuning_files_count_under_their_stated_licence_whatever_their_name(
    tmp_path: Path,
) -> None:
    """Only the records beside a curated dataset's copy are not fine-tuning data; a data file
    of the user's that happens to be called stats.json or dataset.json is."""
    from gemeingut.release.openness.evidence import data_licences

    finetuning = tmp_path / "training-data" / "finetuning"
    (finetuning / "curated-dataset").mkdir(parents=True)
    for name in ("stats.json", "dataset.json"):
        (finetuning / name).write_text("{}", encoding="utf-8")
        (finetuning / "curated-dataset" / name).write_text("{}", encoding="utf-8")
    stated = {"finetuning": ("CC0-1.0", "fine-tuning data")}
    found = data_licences(tmp_path, "training-data", stated)
    assert sorted(found.files) == [
        "training-data/finetuning/dataset.json",
        "training-data/finetuning/stats.json",
    ]


CARD_DIFFERS = "README.md weicht von dem ab, das die Dateien ergeben"


def _verify_names(bundle: Path, *said: str) -> str:
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    message = str(failed.value)
    for part in said:
        assert part in message, message
    return message


def test_a_number_edited_in_the_cards_model_index_is_named(bundle: Path) -> None:
    """Every number of the card is rendered again from the files, not only those a check
    looks for: the card as a whole must be the one the bundle's files give."""
    header = yaml.safe_load((bundle / "README.md").read_text(encoding="utf-8").split("---")[1])
    metric = header["model-index"][0]["results"][1]["metrics"][0]  # the audit's lm-eval acc
    _edit(bundle, "README.md", f"value: {metric['value']}", "value: 0.99")
    _verify_names(bundle, CARD_DIFFERS)


def test_a_row_of_the_cards_licence_table_edited_is_named(bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    row = next(line for line in card.splitlines() if line.startswith("| `CC-BY-4.0` | "))
    _edit(bundle, "README.md", row, row.replace("CC-BY-4.0", "CC0-1.0"))
    _verify_names(bundle, CARD_DIFFERS)


def test_a_sentence_added_to_the_card_is_named(bundle: Path) -> None:
    _edit(
        bundle,
        "README.md",
        "\n## Modell\n",
        "\nDas Modell ist BSI-zertifiziert und erreicht 99 % auf MMLU.\n\n## Modell\n",
    )
    message = _verify_names(bundle, CARD_DIFFERS)
    assert "NOTICE" not in message and "TECHNICAL_REPORT" not in message, message


def test_an_attribution_deleted_or_changed_in_notice_is_named(bundle: Path) -> None:
    line = "notes/a.md | CC-BY-4.0 | Notes team | https://example.org/notes\n"
    _edit(bundle, "NOTICE", line, line.replace("Notes team", "Someone else"))
    _verify_names(bundle, "NOTICE weicht von dem ab, das die Dateien ergeben")
    _edit(bundle, "NOTICE", line.replace("Notes team", "Someone else"), "")
    message = _verify_names(bundle, "NOTICE weicht von dem ab, das die Dateien ergeben")
    assert "README.md" not in message, message


def test_a_training_code_licence_that_is_not_the_declared_one_fails_licence_code(
    bundle: Path,
) -> None:
    licence = bundle / "training-code" / "LICENSE"
    licence.write_text("All rights reserved. Proprietary.\n", encoding="utf-8")
    write_manifest(bundle)
    _verify_names(
        bundle,
        "Prüfung Lizenz des Codes (licence.code) sagt bestanden",
        "training-code/LICENSE ist nicht der Text einer von der OSI anerkannten Lizenz "
        "(pyproject.toml erklärt EUPL-1.2)",
    )
    licence.write_text(MIT_TEXT, encoding="utf-8")
    write_manifest(bundle)
    _verify_names(
        bundle, "training-code/LICENSE ist der Text von MIT / MIT-0, aber pyproject.toml erklärt"
    )
    licence.unlink()
    write_manifest(bundle)
    _verify_names(bundle, "kein Lizenztext: training-code/LICENSE fehlt")


MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2025 Someone\n\nPermission is hereby granted, free of charge, "
    "to any person obtaining a copy\nof this software and associated documentation files.\n"
)


def test_the_code_licence_needs_the_declared_licence_text() -> None:
    from gemeingut.release.openness.licences import licensed_code

    eupl = (Path(__file__).resolve().parents[2] / "LICENSE").read_text(encoding="utf-8")
    assert licensed_code("EUPL-1.2", eupl, "LICENSE").open
    assert licensed_code("MIT OR Apache-2.0", MIT_TEXT, "LICENSE").open
    assert not licensed_code("Apache-2.0", MIT_TEXT, "LICENSE").open
    assert not licensed_code("EUPL-1.2", "All rights reserved.", "LICENSE").open
    assert not licensed_code("EUPL-1.2", None, "LICENSE").open
    assert not licensed_code("CC-BY-4.0", eupl, "LICENSE").open
