"""The release's documents say what its files hold: the contact given at release (AI Act
summary 1.1, the Model Documentation Form, the card), and, for data that `data curate` made,
its sources, their origin and what its curation removed, from the dataset's record in the
bundle. What no file holds stays "not evidenced"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.card import render_card
from gemeingut.release.openness.ai_act import model_documentation, training_summary
from gemeingut.release.openness.ai_act_finetune import finetune_documentation, finetune_summary
from gemeingut.release.openness.evidence import collect
from tests.corpus import open_documents, write_jsonl
from tests.release.test_finetune_release import base_folder, release
from tests.test_cli import invoke

CONTACT = "it@schule.example"
NOT_EVIDENCED = "durch die Dateien der Veröffentlichung nicht belegt"


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of a foreign base on a curated dataset (one source with URL and
    attribution, an e-mail address and a phone number scrubbed), released with a contact."""
    root = tmp_path_factory.mktemp("curated")
    documents = [{"id": d["id"], "text": d["text"]} for d in open_documents(8)]
    documents[0]["text"] += " Fragen an amt@stadt.example oder 0221 1234567."
    config = root / "curate.toml"  # made-up sentences: below Gopher's 50-word minimum
    config.write_text(
        "[data.filters]\ngopher_quality = { min_words = 3 }\nfineweb_quality = false\n"
    )
    curation = invoke(
        "data", "curate", write_jsonl(root / "texte.jsonl", documents), "--out", root / "ds",
        "--license", "CC-BY-4.0", "--url", "https://stadt.example/texte",
        "--attribution", "Stadt Musterstadt", "--config", config, "--workers", "1",
    )  # fmt: skip
    assert curation.exit_code == 0, curation.output
    tuned = root / "tuned"
    tuning = invoke(
        "model", "finetune", base_folder(root), "--data", root / "ds", "--out", tuned,
        "--steps", "2", "--eval-every", "2", "--merge", "--license", "Apache-2.0",
    )  # fmt: skip
    assert tuning.exit_code == 0, tuning.output
    return release(root, tuned, "--author", "Stadt Musterstadt", "--contact", CONTACT)


def _summary(bundle: Path) -> str:
    return (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")


def _section(summary: str, heading: str) -> str:
    return summary.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]


def test_the_contact_given_at_release_is_in_the_ai_act_documents(curated: Path) -> None:
    assert f"- Kontakt: {CONTACT}\n" in _section(_summary(curated), "1.1")
    form = json.loads((curated / "model_documentation.json").read_text(encoding="utf-8"))
    assert form["general_information"]["provider_contact"] == CONTACT
    assert invoke("verify", curated).exit_code == 0


def test_the_curated_datas_origin_and_filtering_are_said_from_its_record(curated: Path) -> None:
    summary = " ".join(_summary(curated).split())
    record = json.loads(
        (curated / "training-data/finetuning/curated-dataset/dataset.json").read_text("utf-8")
    )
    caption = (
        f"Der kuratierte Datensatz {record['id']} in `training-data/finetuning/curated-dataset/`:"
    )
    assert summary.count(caption) == 3  # sources (2.1), removals (3.2), filters (3.3)
    assert (
        "- Herkunft: `texte` (URL: https://stadt.example/texte; Namensnennung: Stadt "
        "Musterstadt); jedes Dokument behält in den Shards seine eigene Lizenz"
    ) in summary
    kept = record["stats"]["kept"]
    assert f"| `texte` | {kept} |" in summary and "| `CC-BY-4.0` |" in summary
    removed = " ".join(_section(_summary(curated), "3.2").split())
    replaced = record["stats"]["blocks"]["pii_scrubber"]["replacements"]
    assert replaced == {"email": 1, "phone": 1}
    assert "- Durch Platzhalter ersetzte personenbezogene Daten: email: 1, phone: 1." in removed
    assert "Die Filterung der Feinabstimmungsdaten ist" not in summary
    assert "| Gopher-Qualitätsfilter (`gopher_quality`) |" in _section(_summary(curated), "3.3")


def test_fine_tuning_data_given_as_a_file_stays_not_evidenced(
    curated: Path, tmp_path: Path
) -> None:
    """Data given as a JSONL file has no record of where it comes from or how it was
    filtered; a release without a contact says the contact is missing."""
    bundle = tmp_path / "bundle"
    shutil.copytree(curated, bundle)
    data = bundle / "training-data" / "finetuning"
    shutil.rmtree(data / "curated-dataset")
    write_jsonl(data / "antworten.jsonl", [{"prompt": "Frage?", "completion": " Antwort."}])
    info = bundle / "release.json"
    given = json.loads(info.read_text(encoding="utf-8"))
    info.write_text(json.dumps({k: v for k, v in given.items() if k != "contact"}), "utf-8")
    evidence = collect(bundle)
    summary = finetune_summary(bundle, evidence)
    assert f"- Kontakt: _{NOT_EVIDENCED}" in summary
    assert f"- Herkunft: _{NOT_EVIDENCED}" in summary
    assert f"Die Filterung der Feinabstimmungsdaten ist {NOT_EVIDENCED}" in summary
    assert "kuratierte Datensatz" not in summary and "### 3.3" not in summary
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    form = finetune_documentation(bundle, evidence, rating)["general_information"]
    assert form["provider_contact"].startswith("not evidenced")


def test_a_curation_that_looked_for_no_personal_data_says_so(curated: Path, tmp_path: Path) -> None:
    """A dataset curated with `pii_types = []` was not searched for personal data: "none
    found" would claim a search that did not happen."""
    bundle = tmp_path / "bundle"
    shutil.copytree(curated, bundle)
    path = bundle / "training-data/finetuning/curated-dataset/dataset.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["params"]["pii_types"] = []
    del record["stats"]["blocks"]["pii_scrubber"]
    path.write_text(json.dumps(record), encoding="utf-8")
    removed = _section(finetune_summary(bundle, collect(bundle)), "3.2")
    assert (
        "- Personenbezogene Daten: nicht gesucht (`pii_types` der Kuratierung ist leer)." in removed
    )
    assert "ersetzte personenbezogene Daten" not in removed


def test_the_recipe_releases_documents_name_its_contact(bundle: Path, tmp_path: Path) -> None:
    """The card and AI Act documents of a release of our own pretraining, rendered from its
    files, name the contact its release.json records (the tiny build gives none)."""
    info = bundle / "release.json"
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    assert "- Anbieter: nicht angegeben; Kontakt: nicht angegeben." in render_card(bundle, rating)
    release_info = json.loads(info.read_text(encoding="utf-8"))
    given = release_info | {"authors": ["Stadt Musterstadt"], "contact": CONTACT}
    info.write_text(json.dumps(given), encoding="utf-8")
    card = render_card(bundle, rating)
    assert f"- Anbieter: Stadt Musterstadt; Kontakt: {CONTACT}." in card
    evidence = collect(bundle)
    assert f"- Kontakt: {CONTACT}\n" in training_summary(bundle, evidence)
    form = model_documentation(bundle, evidence, rating)["general_information"]
    assert form["provider_contact"] == CONTACT


def test_the_fine_tunes_card_names_its_provider_and_contact(curated: Path) -> None:
    card = (curated / "README.md").read_text(encoding="utf-8")
    assert f"- Anbieter: Stadt Musterstadt; Kontakt: {CONTACT}." in card


def test_the_summary_counts_the_fine_tuning_datas_files_not_its_folders(curated: Path) -> None:
    """Section 2.2 counts what a reader finds in the folder: its files (a curated dataset's
    shards lie in sub-folders, which were counted as entries too)."""
    folder = curated / "training-data" / "finetuning"
    files = sum(1 for path in folder.rglob("*") if path.is_file())
    assert any(path.is_dir() for path in folder.rglob("*"))  # the case: folders beside files
    said = " ".join(_section(_summary(curated), "2.2").split())
    assert f"(training-data/finetuning/, {files} Dateien)" in said, said
