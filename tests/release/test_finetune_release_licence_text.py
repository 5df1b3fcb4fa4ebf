"""A fine-tune released under a licence that is granted only with its text (Apache-2.0, MIT …)
ships that text beside its weights (`model/LICENSE`), and `verify` holds it to the whole text;
a licence gemeingut has no text of is released all the same: without a LICENSE in the fine-tuned
folder the rating says how to give it, with one it says the text was not compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.finetune_rating import rate_finetune
from gemeingut.release.openness.licence_reference import coverage, reference_text
from gemeingut.release.verify import verify_bundle
from tests.release.licence_refusals import cut_short, refusals
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.release.test_pretraining_release_licence_text import MULAN, NO_REFERENCE
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("licence-text")
    return fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")


def _release(out: Path, tuned: Path, licence: str):
    return invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", out, "--license", licence
    )


def _text_check(bundle: Path) -> dict:
    rated = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    return next(c for c in rated["checks"] if c["id"] == "licence.text")


@pytest.mark.parametrize("licence", ["Apache-2.0", "MIT"])
def test_the_weights_licence_text_goes_with_the_weights(
    licence: str, tuned: Path, tmp_path: Path
) -> None:
    result = _release(tmp_path / "release", tuned, licence)
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "release" / "bundle"
    written = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    assert coverage(licence, written).whole and "<year>" not in written
    said = _text_check(bundle)
    assert said["passed"] and said["evidence"] == "model/LICENSE", said
    verify_bundle(bundle)


def test_verify_names_a_licence_text_cut_short_or_removed(tuned: Path, tmp_path: Path) -> None:
    assert _release(tmp_path / "release", tuned, "Apache-2.0").exit_code == 0
    bundle = tmp_path / "release" / "bundle"
    cut, removed = refusals(bundle, cut_short(bundle))
    assert "licence.text" in cut and "model/LICENSE" in cut
    assert "licence.text" in removed
    again = next(c for c in rate_finetune(collect(bundle))["checks"] if c["id"] == "licence.text")
    assert not again["passed"] and "fine-tuned model's folder" in str(again["detail"])


def test_a_licence_without_a_reference_text_is_rated_by_the_folders_own_text(
    tuned: Path, tmp_path: Path
) -> None:
    assert reference_text(NO_REFERENCE) is None, "pick terms gemeingut has no text of"
    released = _release(tmp_path / "none", tuned, NO_REFERENCE)
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "none" / "bundle"
    said = _text_check(bundle)
    assert not said["passed"] and "LICENSE" in said["detail"] and NO_REFERENCE in said["detail"]
    assert "fine-tuned model's folder" in said["detail"], said
    verify_bundle(bundle)

    own = tmp_path / "tuned"  # the publisher gives the text, as the rating says
    shutil.copytree(tuned, own)
    (own / "LICENSE").write_text(MULAN, encoding="utf-8")
    released = _release(tmp_path / "release", own, NO_REFERENCE)
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "release" / "bundle"
    assert (bundle / "model" / "LICENSE").read_text(encoding="utf-8") == MULAN
    said = _text_check(bundle)  # no text to compare it with: given, and said so
    assert said["passed"] and "as the releaser gave it, not compared" in said["detail"]
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "wie der Herausgeber ihn gab, nicht verglichen" in card
    verify_bundle(bundle)


def test_an_own_agpl_text_is_compared_with_the_reference(tuned: Path, tmp_path: Path) -> None:
    own = tmp_path / "tuned"
    shutil.copytree(tuned, own)
    stub = "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n…\n"
    (own / "LICENSE").write_text(stub, encoding="utf-8")
    assert _release(tmp_path / "stub", own, "AGPL-3.0-only").exit_code == 0
    said = _text_check(tmp_path / "stub" / "bundle")
    assert not said["passed"] and "only part of the text of AGPL-3.0-only" in said["detail"]
    (own / "LICENSE").write_text(reference_text("AGPL-3.0") or "", encoding="utf-8")
    assert _release(tmp_path / "whole", own, "AGPL-3.0-only").exit_code == 0
    said = _text_check(tmp_path / "whole" / "bundle")
    assert said["passed"] and said["detail"] == "model/LICENSE holds the text of AGPL-3.0-only"


def test_a_licence_file_option_points_to_the_folders_licence(tuned: Path, tmp_path: Path) -> None:
    given = tmp_path / "LICENSE.mulan"
    given.write_text(MULAN, encoding="utf-8")
    refused = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", tmp_path / "out",
        "--license", NO_REFERENCE, "--license-file", given,
    )  # fmt: skip
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "--license-file" in said and str(tuned / "LICENSE") in said and "Traceback" not in said
    assert not (tmp_path / "out").exists()
