"""The index files' reasons in every language: `osai-index.yaml` and `fmti.json` keep the
indices' English (`notes`, `evidence`, machine keys and grades unchanged) and carry the German
beside it (`notes_de`, `evidence_de`), whatever the language of whoever released; `verify`
renders both again, and an edited German reason is named like an edited English one."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.i18n import use_language
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.fmti import FMTI_FILE, fmti_indicators
from gemeingut.release.openness.osai_index import OSAI_FILE, osai_index, osai_yaml
from gemeingut.release.openness.rating import rate
from gemeingut.release.verify import verify_bundle
from tests.test_cli import invoke

GRADES = {"open", "partial", "closed", ""}


def test_each_grade_and_indicator_says_why_in_english_and_in_german(bundle: Path) -> None:
    index = yaml.safe_load((bundle / OSAI_FILE).read_text("utf-8"))
    grades = {k: v for k, v in index.items() if k not in ("system", "org")}
    assert len(grades) == 14
    for grade in grades.values():
        assert grade["class"] in GRADES
        assert grade["notes"] and grade["notes_de"]
    assert index["paper"]["notes"] == "peer review cannot be shown by a file; not declared"
    assert index["paper"]["notes_de"] == (
        "eine Begutachtung (Peer Review) lässt sich durch keine Datei belegen; nicht angegeben"
    )
    assert index["system"]["notes_de"].startswith("Von gemeingut aus den Dateien")
    fmti = json.loads((bundle / FMTI_FILE).read_text("utf-8"))
    assert fmti["index"].startswith("Foundation Model Transparency Index")
    assert "Indikatoren, die eine Veröffentlichung belegen kann" in fmti["index_de"]
    rows = {row["indicator"]: row for row in fmti["indicators"]}
    assert rows["Data size"]["evidence"] == "training-metadata/lineage.json (dataset splits)"
    assert rows["Data size"]["evidence_de"] == (
        "training-metadata/lineage.json (Aufteilungen des Datensatzes)"
    )
    for row in rows.values():
        assert {"evidence", "evidence_de"} <= row.keys()
        assert ("missing" in row) == ("missing_de" in row)


def test_the_files_do_not_depend_on_the_language_of_whoever_released(bundle: Path) -> None:
    evidence = collect(bundle)
    rating = rate(evidence)
    rendered = {}
    for language in ("de", "en"):
        with use_language(language):
            rendered[language] = (
                osai_yaml(osai_index(evidence, rating)),
                json.dumps(fmti_indicators(evidence, rating), ensure_ascii=False),
            )
    assert rendered["de"] == rendered["en"]
    assert rendered["de"][0] == (bundle / OSAI_FILE).read_text("utf-8")


def _edited(bundle: Path, name: str, edit: Callable[[str], str]) -> str:
    path = bundle / name
    path.write_text(edit(path.read_text("utf-8")), "utf-8")
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    return str(failed.value)


def test_a_german_reason_edited_is_named(bundle: Path) -> None:
    said = _edited(
        bundle,
        OSAI_FILE,
        lambda t: t.replace("nicht angegeben", "von drei Gutachtern angenommen", 1),
    )
    assert f"{OSAI_FILE} weicht von dem ab, das die Dateien ergeben" in said


def test_a_german_evidence_edited_is_named(bundle: Path) -> None:
    said = _edited(
        bundle, FMTI_FILE, lambda t: t.replace("(Aufteilungen des Datensatzes)", "(alles)", 1)
    )
    assert f"{FMTI_FILE} weicht von dem ab, das die Dateien ergeben" in said


def test_the_screen_shows_the_reasons_in_the_readers_language(tiny_build) -> None:
    release = tiny_build["release"]["path"]
    bundle = Path(release) / "bundle"
    index = yaml.safe_load((bundle / OSAI_FILE).read_text("utf-8"))
    code = index["trainingcode"]
    german = " ".join(invoke("openness", "rate", release).output.split())
    english = " ".join(invoke("--lang", "en", "openness", "rate", release).output.split())
    assert f"({code['notes_de']}; Beleg: {code['link']})" in german
    assert f"({code['notes']}; evidence: {code['link']})" in english
    assert code["notes"] not in german


def test_a_bundle_from_before_shows_where_the_english_reasons_stand(bundle: Path) -> None:
    path = bundle / OSAI_FILE
    index = yaml.safe_load(path.read_text("utf-8"))
    for value in index.values():
        value.pop("notes_de", None)
    path.write_text(yaml.safe_dump(index, allow_unicode=True), "utf-8")
    said = " ".join(invoke("openness", "rate", str(bundle)).output.split())
    assert "die Begründungen, auf Englisch: osai-index.yaml" in said
    assert f"(Beleg: {index['weights_endmodel']['link']})" in said
