"""`release --finetuned` releases under the licence chosen at fine-tuning (else its base's), and
a base's Hub id is said to be the publisher's statement, refused where this machine shows that
it names another model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.release.verify import verify_bundle
from tests.model.tiny_models import make_model
from tests.release.test_finetune_release import base_folder, fine_tune, hub_cache
from tests.test_cli import invoke


def _release(root: Path, tuned: Path, *extra: str):
    return invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", root / "release", *extra
    )


def _said(result) -> str:
    return " ".join(result.output.split())


def _weights_licence(root: Path) -> str:
    info = json.loads((root / "release" / "bundle" / "release.json").read_text("utf-8"))
    return info["licenses"]["weights"]


def test_the_licence_chosen_at_fine_tuning_is_the_releases(tmp_path: Path) -> None:
    base = base_folder(tmp_path, "cc-by-nc-4.0")
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "CC-BY-NC-4.0")
    record = json.loads((tuned / "finetune.json").read_text("utf-8"))
    assert record["release_license"] == "CC-BY-NC-4.0"
    refused = _release(tmp_path / "apache", tuned, "--license", "Apache-2.0")
    assert refused.exit_code == 2  # an explicit licence still wins, with its checks
    said = _said(refused)  # why: the base forbids commercial use, not that it is share-alike
    assert (
        "die Lizenz des Basismodells, CC-BY-NC-4.0, verbietet die kommerzielle Nutzung, auch die "
        "einer Bearbeitung: eine Feinabstimmung davon kann nicht unter einer offenen Lizenz wie "
        "Apache-2.0 veröffentlicht werden"
    ) in said
    assert (
        "denselben Bedingungen" not in said and "Lizenz des Basismodells, CC-BY-NC-4.0 (es" in said
    )
    released = _release(tmp_path, tuned)
    assert released.exit_code == 0, released.output
    assert (
        "Lizenz des Release: CC-BY-NC-4.0, wie bei der Feinabstimmung gewählt (--license)"
        in _said(released)
    )
    assert _weights_licence(tmp_path) == "CC-BY-NC-4.0"
    bundle = tmp_path / "release" / "bundle"
    verify_bundle(bundle)
    rated = json.loads((bundle / "openness.json").read_text("utf-8"))
    assert not rated["open"]
    card = " ".join((bundle / "README.md").read_text("utf-8").split())
    assert "Model Openness Framework: nicht eingestuft;" in card  # the base's, in a sentence


def test_a_fine_tune_without_a_recorded_licence_is_released_under_its_bases(
    tmp_path: Path,
) -> None:
    """A folder fine-tuned without --license, or before the licence was recorded, takes its
    base's licence; a `license: other` base's terms too (and is rated as what they are)."""
    base = base_folder(tmp_path, "other\nlicense_name: tongyi-qianwen")
    (base / "LICENSE").write_text("Tongyi Qianwen LICENSE AGREEMENT\n", "utf-8")  # its terms
    tuned = fine_tune(tmp_path, base, "--merge")
    assert json.loads((tuned / "finetune.json").read_text("utf-8"))["release_license"] is None
    released = _release(tmp_path, tuned)
    assert released.exit_code == 0, released.output
    said = _said(released)
    assert "Lizenz des Release: LicenseRef-tongyi-qianwen, die Lizenz des Basismodells" in said
    assert _weights_licence(tmp_path) == "LicenseRef-tongyi-qianwen"
    rated = json.loads((tmp_path / "release" / "bundle" / "openness.json").read_text("utf-8"))
    assert not rated["open"] and rated["mof"]["class"] == 0


def test_no_licence_chosen_and_none_named_by_the_base_asks_for_one(tmp_path: Path) -> None:
    base = make_model(tmp_path / "base")
    (base / "README.md").write_text("# Ohne Lizenz\n\nEin Modell.\n", "utf-8")
    tuned = fine_tune(tmp_path, base, "--merge")
    refused = _release(tmp_path, tuned)
    assert refused.exit_code == 2, refused.output
    said = _said(refused)
    assert "bei der Feinabstimmung wurde keine Lizenz gewählt (--license)" in said
    assert "--license SPDX" in said and "Traceback" not in said
    assert not (tmp_path / "release" / "bundle").exists()


def test_a_base_hub_id_is_said_unchecked_and_refused_where_the_cache_contradicts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    base = base_folder(tmp_path)
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "Apache-2.0")
    cache = tmp_path / "hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))  # this machine's Hub cache
    stated = _release(tmp_path, tuned, "--base-hub-id", "amt/winzig")  # not in the cache
    assert stated.exit_code == 0, stated.output
    card = " ".join((tmp_path / "release" / "bundle" / "README.md").read_text("utf-8").split())
    assert (
        "Die Hub-ID `amt/winzig` ist eine Angabe des Herausgebers (`--base-hub-id`), nicht "
        "geprüft" in card
    )
    other = make_model(tmp_path / "other")
    config = json.loads((other / "config.json").read_text("utf-8"))
    (other / "config.json").write_text(json.dumps(config | {"num_hidden_layers": 7}), "utf-8")
    hub_cache(cache, other, "amt/anders")
    refused = _release(tmp_path / "r2", tuned, "--base-hub-id", "amt/anders")
    assert refused.exit_code == 2, refused.output
    said = _said(refused)
    assert "--base-hub-id amt/anders nennt ein anderes Modell" in said
    assert "num_hidden_layers 2 ≠ 7" in said


def test_a_fine_tune_released_under_another_licence_is_reproduced_equal(tmp_path: Path) -> None:
    """The record keeps the licence named at fine-tuning (here none), not the release's: the
    rebuild names the same one, so the fine-tune's record comes out the same."""
    base = base_folder(tmp_path)
    tuned = fine_tune(tmp_path, base, "--merge")
    released = _release(tmp_path, tuned, "--license", "MIT")
    assert released.exit_code == 0, released.output
    result = invoke(
        "reproduce", tmp_path / "release", "--workspace", tmp_path / "again", "--base", base,
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert all(row["equal"] for row in rows.values()), rows
