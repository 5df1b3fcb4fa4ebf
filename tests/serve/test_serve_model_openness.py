"""`/v1/models` names the model's licence and openness class as its files show them: a folder is
rated at start (as `gemeingut openness rate` would), a release bundle too, its `openness.json`
only compared with that rating; a folder that says nothing is not called open. What a
person reads there is German, English for a request that asks for it; ids stay as recorded."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.release.openness.foreign import rate_folder
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.model_audit import summarise
from gemeingut.serve.model_openness import model_openness

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def test_a_folder_is_rated_from_its_files(
    model_dir: Path, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    bare = model_openness(model_dir)
    assert (bare.open, bare.mof_class, bare.licenses["weights"]) == (False, 0, None)
    carded = tmp_path / "carded"
    shutil.copytree(model_dir, carded)
    (carded / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Modell\n")
    rated = model_openness(carded)
    expected = rate_folder(carded)
    assert rated.licenses == expected["licenses"] and rated.licenses["weights"] == "Apache-2.0"
    # the class met in full, as the rating records it beside the Model Openness Tool's
    reached = expected["mof"]["reached"]
    assert (rated.mof_class, rated.osaid) == (reached, expected["osaid"]["passed"])
    with serve(create_app(backend, openness=rated, audit=summarise({}))) as url:
        [card] = httpx.get(f"{url}/v1/models").json()["data"]
        english = httpx.get(f"{url}/v1/models/tiny-llama", headers={"accept-language": "en"})
    assert card["license"] == "Apache-2.0"  # the card's apache-2.0, as SPDX spells it
    # weights alone: Class III only on condition, no class met in full: the number says none
    assert (card["openness"]["mof_class"], card["openness"]["mof_conditional"]) == (0, True)
    assert model_openness(model_dir).mof_conditional is False  # no class at all
    assert card["max_model_len"] == backend.context_length
    said = card["openness"]["source"], card["openness"]["mof_said"], card["audit"]["source"]
    assert said == (
        "beim Start aus dem Modellordner bewertet; wie: gemeingut openness rate DIR",
        "keine Klasse erreicht (Klasse III – Open Model nur bedingt: nur die finalen Gewichte "
        "sind offen lizenziert; andere erforderliche Bestandteile der Klasse III fehlen oder "
        "sind nicht offen lizenziert)",  # as `openness rate` says it
        "audit/report.json des Release-Pakets; prüfen: gemeingut verify BUNDLE",
    )
    openness, audit = english.json()["openness"], english.json()["audit"]
    assert openness["source"].startswith("rated from the model folder at start")
    assert openness["mof_label"] == card["openness"]["mof_label"]
    assert openness["mof_said"].startswith(
        "no class reached (Class III - Open Model only conditionally: only the final weights"
    )
    assert audit["source"].startswith("audit/report.json of the release bundle")
    assert openness["check"] == card["openness"]["check"] == "gemeingut openness rate DIR"


def test_a_declared_openness_is_not_shown_for_the_files(model_dir: Path, tmp_path: Path) -> None:
    """A folder beside an openness.json that claims Class I is rated from its files (here: no
    licence named, so not open); the claim is said not to hold."""
    bundle = tmp_path / "bundle"
    shutil.copytree(model_dir, bundle / "model")
    result = {
        "open": True,
        "licenses": {"weights": "CC-BY-SA-4.0", "code": "EUPL-1.2"},
        "mof": {"class": 1, "label": "Class I - Open Science"},
        "osaid": {"passed": True},
    }
    (bundle / "openness.json").write_text(json.dumps(result))
    openness = model_openness(bundle / "model")
    assert (openness.mof_class, openness.osaid, openness.open) == (0, False, False)
    assert openness.licenses["weights"] is None and openness.declared_held is False
    assert "gemeingut openness rate DIR" in openness.source
