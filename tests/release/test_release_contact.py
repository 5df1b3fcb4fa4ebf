"""Whom to ask about a model: `release.contact` in the recipe (or `release --contact`) fills the
MOF description's contact, which is otherwise said as missing, never invented."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.recipe import ReleaseSection
from gemeingut.release.bundle import release_info
from gemeingut.release.openness.mof import mof_document, unfilled

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "mof"


def test_a_stated_contact_fills_the_mof_and_is_no_longer_missing() -> None:
    stated = release_info(
        ReleaseSection(model_name="m", authors=["Schulamt"], contact=" ki@schulamt.example "),
        treatment="pre-trained",
    )
    assert stated["contact"] == "ki@schulamt.example"
    document = mof_document(stated, {"weights": "Apache-2.0"}, [])
    assert document["release"]["contact"] == "ki@schulamt.example"
    assert unfilled(document) == []
    if (STANDARDS / "mof_schema.json").is_file():
        schema = json.loads((STANDARDS / "mof_schema.json").read_text("utf-8"))
        jsonschema.validate(document, schema)


def test_without_a_contact_release_json_is_as_before_and_the_mof_says_it_is_missing() -> None:
    silent = release_info(ReleaseSection(model_name="m", authors=["Schulamt"]), "pre-trained")
    assert "contact" not in silent  # a bundle without the setting reads as it did before
    document = mof_document(silent, {"weights": "Apache-2.0"}, [])
    assert [row["field"] for row in unfilled(document)] == ["contact"]


def test_the_release_command_takes_authors_and_a_contact() -> None:
    shown = CliRunner().invoke(app, ["release", "--help"], env={"COLUMNS": "200"})
    said = " ".join(shown.output.split())
    assert "--author" in said and "--contact" in said
