"""A fine-tune of a foreign base on data that forbids commercial use cannot be released under
an open licence (the data's terms bind the model, as `release_stage` holds our own chain to):
the refusal names the data's licence, where it is recorded and what to do, before anything is
written. Under a licence the data allows, the release is built and rated as not open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.release.verify import verify_bundle
from tests.finetune_chain import finetune, second_data
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def non_commercial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of an Apache-2.0 base on CC-BY-NC-4.0 data, made without --license."""
    root = tmp_path_factory.mktemp("non-commercial")
    return fine_tune(root, base_folder(root), "--merge", "--data-license", "CC-BY-NC-4.0")


def _release(out: Path, tuned: Path, *extra: str):
    return invoke("release", "--finetuned", tuned, "--name", "winzig", "--out", out, *extra)


def _refused_for(out: Path, tuned: Path, recorded_by: Path, *extra: str) -> None:
    refused = _release(out, tuned, *extra)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert (
        "--data-license CC-BY-NC-4.0: CC-BY-NC-4.0 verbietet die kommerzielle Nutzung" in said
        and "nicht unter einer offenen Lizenz wie Apache-2.0 veröffentlicht werden" in said
    )
    assert f"als data_license in {recorded_by / 'artifact.json'} festgehalten" in said
    assert "etwa --license CC-BY-NC-4.0 (das Release gilt dann als nicht offen)" in said
    assert not out.exists()


def test_non_commercial_data_keeps_a_fine_tune_of_a_foreign_base_from_an_open_release(
    non_commercial: Path, tmp_path: Path
) -> None:
    _refused_for(tmp_path / "given", non_commercial, non_commercial, "--license", "Apache-2.0")
    _refused_for(tmp_path / "the-bases", non_commercial, non_commercial)  # apache-2.0

    kept = _release(tmp_path / "nc", non_commercial, "--license", "CC-BY-NC-4.0")
    assert kept.exit_code == 0, kept.output
    bundle = tmp_path / "nc" / "bundle"
    verify_bundle(bundle)
    rated = json.loads((bundle / "openness.json").read_text("utf-8"))
    assert not rated["open"]
    data = next(check for check in rated["checks"] if check["id"] == "licence.training-data")
    assert not data["passed"] and "CC-BY-NC-4.0" in data["detail"]
    info = json.loads((bundle / "release.json").read_text("utf-8"))
    assert info["licenses"]["weights"] == "CC-BY-NC-4.0"
    card = " ".join((bundle / "README.md").read_text("utf-8").split())
    assert "Dieses Release ist **nicht offen**" in card and "fully-open" not in card
    assert "`licence.training-data`: nicht offen: CC-BY-NC-4.0" in card


def test_an_earlier_links_non_commercial_data_is_named_in_a_chain(
    non_commercial: Path, tmp_path: Path
) -> None:
    """The released link's own data is open; the link before it was trained on NC data."""
    last = finetune(
        non_commercial, second_data(tmp_path), tmp_path / "ft2", "--data-license", "CC0-1.0"
    )
    _refused_for(tmp_path / "chain", last, non_commercial, "--license", "Apache-2.0")
