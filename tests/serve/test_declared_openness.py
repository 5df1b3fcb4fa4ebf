"""A release bundle's `openness.json` is a claim, not what the server shows: `gemeingut serve`
rates the bundle from its files at start and shows that rating. A copy of the tiny release
whose weights licence was changed to a non-commercial one in release.json, model/LICENSE and
the card, its openness.json left as released, was served as "open, Class I" before; now
`/v1/models` shows the rating of the files, says that the declared one does not hold (German,
English on request), and the start tells the operator on stderr."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
from pathlib import Path

import httpx
import openai
import pytest

from gemeingut.i18n import text
from gemeingut.release.openness.check_names import CHECK_NAMES
from gemeingut.release.openness.mof import said
from gemeingut.release.openness.rate import rate_path
from gemeingut.serve.model_openness import model_openness
from tests.serve.test_serve_start import started

RELEASED = "Apache-2.0"  # the tiny recipe's weights licence
CHANGED = "CC-BY-NC-4.0"


@pytest.fixture
def bundle(tiny_build: dict, tmp_path: Path) -> Path:
    copy = tmp_path / "rel" / "bundle"
    shutil.copytree(Path(tiny_build["release"]["path"]) / "bundle", copy)
    return copy


def relicensed(bundle: Path) -> Path:
    """The bundle with its weights licence changed where a person would change it."""
    for name in ("release.json", "README.md"):
        path = bundle / name
        said = path.read_text(encoding="utf-8")
        assert RELEASED in said, name
        path.write_text(said.replace(RELEASED, CHANGED), encoding="utf-8")
    legal_code = "https://creativecommons.org/licenses/by-nc/4.0/legalcode"
    (bundle / "model" / "LICENSE").write_text(f"{CHANGED}\n{legal_code}\n", encoding="utf-8")
    return bundle


def test_a_bundle_whose_files_give_its_declared_rating_says_so(bundle: Path) -> None:
    rated = model_openness(bundle / "model").in_language("de")
    declared = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    assert rated.declared_held is True and rated.declared is None
    assert (rated.open, rated.mof_label) == (declared["open"], declared["mof"]["label"])
    assert rated.source == (
        "openness.json des Release-Pakets, beim Start aus seinen Dateien neu berechnet; "
        "prüfen: gemeingut verify BUNDLE"
    )


def test_a_relicensed_bundle_is_served_with_the_rating_of_its_files(
    bundle: Path, tmp_path: Path
) -> None:
    computed = rate_path(relicensed(bundle))
    assert computed["licenses"]["weights"] == CHANGED and computed["open"] is False
    declared = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    assert declared["licenses"]["weights"] == RELEASED  # left as it was released
    log = tmp_path / "serve.log"
    with started(log, str(bundle.parent), "--threads", "1") as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="-")
        [model] = client.models.list().data
        english = httpx.get(f"{url}/v1/models", headers={"accept-language": "en"}).json()
    shown = model.model_extra or {}
    openness = shown["openness"]
    assert shown["license"] == CHANGED
    assert openness["open"] is False and openness["licenses"] == computed["licenses"]
    assert openness["mof_label"] == computed["mof"]["label"]
    assert openness["declared_held"] is False
    was = said(declared["mof"]["label"], "de"), "offen" if declared["open"] else "nicht offen"
    assert openness["declared"].startswith(
        f"openness.json erklärt {was[0]}, {was[1]}, Gewichte unter {RELEASED}; seine Dateien, "
        f"beim Start bewertet, ergeben {openness['mof_said']}, nicht offen, Gewichte unter "
        f"{CHANGED}, nicht bestanden: Lizenz der Gewichte (licence.weights)"
    )
    assert openness["declared"].endswith(
        ". Angezeigt ist, was die Dateien ergeben: Die erklärte Bewertung gilt nicht "
        "(die Dateien wurden nach dem Release geändert, oder diese Version von gemeingut "
        "bewertet sie anders); prüfen: gemeingut verify BUNDLE"
    )
    [said_in_english] = english["data"]
    assert said_in_english["openness"]["declared"].startswith(
        f"openness.json declares {declared['mof']['label']}, "
    )
    assert "does not hold" in said_in_english["openness"]["declared"]
    [line] = [x for x in log.read_text(encoding="utf-8").splitlines() if "openness.json" in x]
    assert line.startswith(f"{bundle}: openness.json erklärt") and CHANGED in line


def test_a_declaration_that_differs_in_a_check_alone_names_the_check(bundle: Path) -> None:
    """An openness.json edited to say "open", every check passed, its class and licences left
    as they are: the note names the checks the files fail, else it would read "open" against
    "not open" with no reason."""
    path = bundle / "openness.json"
    declared = json.loads(path.read_text(encoding="utf-8"))
    failing = [c["id"] for c in declared["checks"] if not c["passed"]]
    assert failing and not declared["open"]
    declared["open"] = True
    declared["checks"] = [{**c, "passed": True} for c in declared["checks"]]
    path.write_text(json.dumps(declared), encoding="utf-8")
    rated = model_openness(bundle / "model")
    assert rated.declared_held is False
    german = rated.in_language("de").declared or ""
    english = rated.in_language("en").declared or ""
    assert ", nicht offen, Gewichte unter Apache-2.0, nicht bestanden: " in german
    assert ", not open, weights under Apache-2.0, failing " in english
    for check in failing:
        assert f"{text(CHECK_NAMES[check], 'de')} ({check})" in german


def _rated_in_a_worker(model: Path, log: Path) -> None:
    """What a worker process of `serve --workers` does at its start: rate the model."""
    with log.open("w", encoding="utf-8") as err:
        sys.stderr = err
        model_openness(model)


def test_the_operator_line_is_written_once_not_by_each_worker(
    bundle: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`serve --workers 2 --upstream … --model-card BUNDLE/model` rated the bundle in the
    parent and in each worker, and wrote the line three times; the workers write none."""
    model = relicensed(bundle) / "model"
    assert model_openness(model).declared_held is False
    assert capfd.readouterr().err.count("openness.json") == 1  # the parent: the operator's start
    log = tmp_path / "worker.log"
    worker = multiprocessing.get_context("spawn").Process(
        target=_rated_in_a_worker, args=(model, log)
    )
    worker.start()
    worker.join()
    assert worker.exitcode == 0
    assert log.read_text(encoding="utf-8") == ""
