"""An adapter fine-tuned from our own model records the licence its base's data gives that base
(share-alike carried), and `openness rate` and `serve` read one consistent story from it: the
base found where the record (or --base) says, its weights open under that licence, the
adapter's chosen licence on /v1/models. An older record without the base's licence gets it
from the base's folder."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from gemeingut.release.openness.foreign import rate_folder
from tests.model.test_finetune_own_base_licence import _own_model_on_share_alike_data
from tests.serve.test_serve_start import started
from tests.test_cli import invoke


def _adapter(tiny_build: dict, root: Path) -> tuple[Path, Path]:
    base = _own_model_on_share_alike_data(tiny_build, root / "ws")
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", Path(tiny_build["recipe"]).parent / "chat.jsonl",
        "--out", tuned, "--license", "CC-BY-SA-4.0", "--data-license", "CC0-1.0",
        "--steps", "2", "--batch-size", "2", "--seq-len", "64",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return base, tuned


def _base_weights(rating: dict) -> dict:
    return rating["osai_index"]["weights_basemodel"]


def test_the_base_licence_is_recorded_rated_and_served(tiny_build: dict, tmp_path: Path) -> None:
    base, tuned = _adapter(tiny_build, tmp_path)
    record = json.loads((tuned / "finetune.json").read_text(encoding="utf-8"))
    assert record["base_model"]["license"] == "CC-BY-SA-4.0"  # the share-alike of its data
    assert record["stats"]["base_license"] == "CC-BY-SA-4.0"
    rating = rate_folder(tuned)
    assert rating["licenses"]["weights"] == "CC-BY-SA-4.0"
    checks = {c["id"]: c for c in rating["checks"]}
    assert checks["licence.weights"]["passed"], checks["licence.weights"]
    assert _base_weights(rating)["class"] == "open", _base_weights(rating)
    final = {row["name"]: row for row in rating["mof"]["components"]}["Model parameters (Final)"]
    assert final["license_open"], final  # the base's own weights are no longer "no licence"
    own = {c["id"]: c for c in rate_folder(base)["checks"]}["licence.weights"]
    assert own["passed"] and own["evidence"] == "artifact.json", own  # said where it comes from
    assert "the data it was trained on" in str(own["detail"])
    said = invoke("openness", "rate", tuned, "--base", base)
    assert said.exit_code == 0, said.output
    assert "Gewichte des Basismodells: offen" in said.output
    assert "liegt nicht vor" not in said.output and "keine Lizenz" not in said.output
    with started(tmp_path / "serve.log", str(tuned)) as url:
        [model] = httpx.get(f"{url}/v1/models").json()["data"]
    assert model["license"] == "CC-BY-SA-4.0"


def test_an_older_record_without_the_base_licence_reads_it_from_the_base(
    tiny_build: dict, tmp_path: Path
) -> None:
    base, tuned = _adapter(tiny_build, tmp_path)
    path = tuned / "finetune.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["base_model"]["license"] = None
    record["base_model"]["path"] = str(tmp_path / "moved")  # the base is elsewhere now
    path.write_text(json.dumps(record), encoding="utf-8")
    lost = rate_folder(tuned)
    assert _base_weights(lost)["class"] == "closed"
    found = rate_folder(tuned, base=base)
    assert _base_weights(found)["class"] == "open", _base_weights(found)
    assert "CC-BY-SA-4.0" in str(_base_weights(found)["notes"])
