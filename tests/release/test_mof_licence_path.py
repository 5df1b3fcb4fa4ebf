"""A trial's `verify` printed `mof_document.release.license.distribution.path "model/LICENSE" ≠
"release.json"`, which no auditor can read. It was not a fault of mof.yml: the bundle's
model/LICENSE had been deleted (its signature said "fehlt: model/LICENSE"), so the files no
longer hold a licence text beside the weights and the rating names release.json, which only
declares the licence. A fresh bundle's mof.yml names model/LICENSE and verifies; a difference is
now said in words: which field of which document, what it says, what the files give, and why
it matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.i18n import text
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import BundleFailed, verify_bundle

runner = CliRunner()


def _problems(bundle: Path, language: str) -> list[str]:
    with pytest.raises(BundleFailed) as caught:
        verify_bundle(bundle)
    return [text(problem, language) for problem in caught.value.failure.problems]


def test_a_fresh_bundle_names_the_licence_file_beside_the_weights(bundle: Path) -> None:
    mof = yaml.safe_load((bundle / "mof.yml").read_text(encoding="utf-8"))
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    assert mof["release"]["license"]["distribution"]["path"] == "model/LICENSE"
    assert rating["mof_document"] == mof
    assert verify_bundle(bundle).files > 0


def test_a_deleted_licence_file_is_said_by_the_field_it_changes(bundle: Path) -> None:
    (bundle / "model" / "LICENSE").unlink()
    write_manifest(bundle)  # as a forger would: every hash matches
    german = _problems(bundle, "de")
    assert (
        "mof.yml: die Lizenzdatei der Gewichte ist „model/LICENSE“; aus den Dateien des Pakets "
        "neu berechnet: „release.json“ (release.license.distribution.path); daran sieht jeder "
        "Nutzer, wo die Lizenz steht"
    ) in german, german
    assert (
        "openness.json: die Lizenzdatei der Gewichte ist „model/LICENSE“; aus den Dateien des "
        "Pakets neu berechnet: „release.json“ (mof_document.release.license.distribution.path)"
    ) in " ".join(german), german
    assert not [line for line in german if "≠" in line and line.startswith(("mof.yml", "open"))]

    result = runner.invoke(app, ["verify", str(bundle), "--json"])
    problems = json.loads(result.stdout)["problems"]
    [mof] = [p for p in problems if p["file"] == "mof.yml"]
    assert mof["detail"] == (
        "mof.yml: the licence file of the weights is 'model/LICENSE'; computed again from the "
        "bundle's files: 'release.json' (release.license.distribution.path); from it every "
        "user learns where the licence is written"
    )


def test_an_edited_component_licence_is_named_by_its_component(bundle: Path) -> None:
    mof_path = bundle / "mof.yml"
    mof = yaml.safe_load(mof_path.read_text(encoding="utf-8"))
    [index] = [i for i, c in enumerate(mof["release"]["components"]) if c["name"] == "Datasets"]
    shipped = mof["release"]["components"][index]["license"]
    mof["release"]["components"][index]["license"] = "MIT"
    mof["release"]["producer"] = "Amt für Statistik"
    mof_path.write_text(yaml.safe_dump(mof, sort_keys=False), encoding="utf-8")
    write_manifest(bundle)
    german = _problems(bundle, "de")
    assert (
        "mof.yml: die Lizenz der Komponente „Datasets“ ist „MIT“; aus den Dateien des Pakets "
        f"neu berechnet: „{shipped}“ (release.components[{index}].license); sie legt die "
        "Bedingungen jeder Nutzung fest"
    ) in german, german
    assert (
        "mof.yml: der Hersteller des Modells ist „Amt für Statistik“; aus den Dateien des Pakets "
        "neu berechnet: „undisclosed“ (release.producer)"
    ) in german, german
    english = _problems(bundle, "en")
    assert (
        "mof.yml: the model's producer is 'Amt für Statistik'; computed again from the bundle's "
        "files: 'undisclosed' (release.producer)"
    ) in english, english
