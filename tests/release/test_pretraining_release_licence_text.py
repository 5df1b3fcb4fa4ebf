"""A release of our own pretraining ships the whole text of its weights' licence beside the
weights (`model/LICENSE`), as a fine-tune's does, and `verify` holds it to that text. The text
is gemeingut's reference text, or the releaser's own (`release.license_file`,
`--license-file`); a licence gemeingut has no text of is released all the same, and its
rating says what is missing, or that the releaser's text was not compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.licence_reference import coverage, reference_text
from gemeingut.release.openness.rating import rate
from gemeingut.release.verify import verify_bundle
from tests.conftest import write_tiny_project
from tests.release.licence_refusals import cut_short, refusals
from tests.test_cli import invoke

# Terms gemeingut has no reference text of (OSI-approved; § 4 asks that recipients get a copy).
NO_REFERENCE = "MulanPSL-2.0"
MULAN = (
    "Mulan Permissive Software License，Version 2\n\n"
    "Mulan Permissive Software License，Version 2 (Mulan PSL v2)\n\n"
    "January 2020 http://license.coscl.org.cn/MulanPSL2\n\n"
    "Your reproduction, use, modification and distribution of the Software shall be subject "
    "to Mulan PSL v2 (this License) with the following terms and conditions: …\n"
)


def _checks(bundle: Path) -> dict[str, dict]:
    rated = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    return {c["id"]: c for c in rated["checks"]}


def _mof_licence_path(bundle: Path) -> str:
    mof = yaml.safe_load((bundle / "mof.yml").read_text(encoding="utf-8"))
    return mof["release"]["license"]["distribution"]["path"]


def _release(tiny_build, out: Path, licence: str, *options):
    """The tiny build's own artifacts released again, under `licence`."""
    kinds = ("dataset", "tokenizer", "model", "evaluation", "finetune")
    paths = [a for kind in kinds for a in (f"--{kind}", tiny_build[kind]["path"])]
    paths = [p.replace("--finetune", "--finetuned") for p in paths]
    return invoke(
        "release", "--name", "winzig", "--out", out, "--license", licence, *paths, *options
    )


def test_the_built_release_ships_its_weights_licence_text(bundle: Path) -> None:
    written = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    assert coverage("Apache-2.0", written).whole  # the tiny recipe's release.license
    said = _checks(bundle)["licence.text"]
    assert said["passed"] and said["evidence"] == "model/LICENSE", said
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "Lizenztext der Gewichte: model/LICENSE enthält den Text von Apache-2.0." in card
    assert _mof_licence_path(bundle) == "model/LICENSE"  # the file with the text, not release.json
    verify_bundle(bundle)  # which renders mof.yml again and compares it


def test_verify_names_the_weights_licence_text_cut_short_or_removed(bundle: Path) -> None:
    cut, removed = refusals(bundle, cut_short(bundle))
    assert "licence.text" in cut and "model/LICENSE" in cut
    assert "licence.text" in removed
    again = next(c for c in rate(collect(bundle))["checks"] if c["id"] == "licence.text")
    assert not again["passed"] and "release.license_file" in str(again["detail"])


def test_each_licence_gets_its_own_text_and_the_authors_copyright_line(
    tiny_build, tmp_path: Path
) -> None:
    authors = ("--author", "Ada Lovelace", "--author", "Grace Hopper")
    assert _release(tiny_build, tmp_path / "mit", "MIT", *authors).exit_code == 0
    bundle = tmp_path / "mit" / "bundle"
    written = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    assert coverage("MIT", written).whole and "<year>" not in written
    assert "\nCopyright (c) Ada Lovelace, Grace Hopper\n" in written
    assert not coverage("Apache-2.0", written).whole
    said = _checks(bundle)["licence.text"]
    assert said["passed"] and "Copyright (c) Ada Lovelace, Grace Hopper" in said["detail"]
    verify_bundle(bundle)

    assert _release(tiny_build, tmp_path / "anonymous", "BSD-3-Clause").exit_code == 0
    bundle = tmp_path / "anonymous" / "bundle"
    written = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    assert coverage("BSD-3-Clause", written).whole and "Copyright" not in written
    said = _checks(bundle)["licence.text"]
    assert said["passed"] and "release.json names no authors" in said["detail"], said

    # not in Debian's common-licenses: the text from the npm package spdx-license-list
    assert _release(tiny_build, tmp_path / "agpl", "AGPL-3.0-only").exit_code == 0
    bundle = tmp_path / "agpl" / "bundle"
    written = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    assert written == reference_text("AGPL-3.0-only")
    assert written.startswith("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")
    assert _checks(bundle)["licence.text"]["passed"]
    verify_bundle(bundle)


def test_an_lgpl_3_release_ships_the_gpl_3_it_incorporates(tiny_build, tmp_path: Path) -> None:
    assert _release(tiny_build, tmp_path / "lgpl", "LGPL-3.0-or-later").exit_code == 0
    bundle = tmp_path / "lgpl" / "bundle"
    model = bundle / "model"
    assert coverage("LGPL-3.0", (model / "LICENSE").read_text(encoding="utf-8")).whole
    assert coverage("GPL-3.0", (model / "LICENSE.GPL-3.0").read_text(encoding="utf-8")).whole
    said = _checks(bundle)["licence.text"]
    assert said["passed"] and "model/LICENSE.GPL-3.0" in said["detail"], said
    assert _mof_licence_path(bundle) == "model/LICENSE, model/LICENSE.GPL-3.0"
    verify_bundle(bundle)
    (model / "LICENSE.GPL-3.0").unlink()
    write_manifest(bundle)
    with pytest.raises(VerifyError) as removed:
        verify_bundle(bundle)
    assert "licence.text" in str(removed.value)
    again = next(c for c in rate(collect(bundle))["checks"] if c["id"] == "licence.text")
    assert not again["passed"] and again["evidence"] == "model/LICENSE.GPL-3.0"


def test_a_licence_without_a_reference_text_is_released_and_rated_by_its_text(
    tiny_build, tmp_path: Path
) -> None:
    assert reference_text(NO_REFERENCE) is None, "pick terms gemeingut has no text of"
    released = _release(tiny_build, tmp_path / "none", NO_REFERENCE)
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "none" / "bundle"
    assert not (bundle / "model" / "LICENSE").exists()
    checks = _checks(bundle)
    said = checks["licence.text"]["detail"]
    assert not checks["licence.text"]["passed"]
    assert NO_REFERENCE in said and "release.license_file" in said and "--license-file" in said
    assert checks["licence.weights"]["passed"]  # OSI-approved: open terms, text missing
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "**nicht offen**" in card and "`licence.text`: keine Datei model/LICENSE" in card
    verify_bundle(bundle)

    given = tmp_path / "LICENSE.mulan"
    given.write_text(MULAN, encoding="utf-8")
    options = ("--license-file", given)
    assert _release(tiny_build, tmp_path / "given", NO_REFERENCE, *options).exit_code == 0
    bundle = tmp_path / "given" / "bundle"
    assert (bundle / "model" / "LICENSE").read_bytes() == given.read_bytes()
    checks = _checks(bundle)
    said = checks["licence.text"]
    assert said["passed"] and "as the releaser gave it, not compared" in said["detail"]
    assert "whole" not in said["detail"]
    failed = {c for c, check in checks.items() if not check["passed"]}
    apache = _checks(Path(tiny_build["release"]["path"]) / "bundle")
    assert failed == {c for c, check in apache.items() if not check["passed"]}
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "wie der Herausgeber ihn gab, nicht verglichen" in card
    verify_bundle(bundle)
    (bundle / "model" / "LICENSE").write_text(MULAN + "Other terms.\n", encoding="utf-8")
    with pytest.raises(VerifyError) as changed:  # the MANIFEST binds the given text
        verify_bundle(bundle)
    assert "model/LICENSE" in str(changed.value)

    mit = tmp_path / "LICENSE.mit"
    mit.write_text(reference_text("MIT") or "", encoding="utf-8")
    options = ("--license-file", mit)
    assert _release(tiny_build, tmp_path / "other", NO_REFERENCE, *options).exit_code == 0
    said = _checks(tmp_path / "other" / "bundle")["licence.text"]
    assert not said["passed"] and "is the text of MIT" in said["detail"], said


def test_a_licence_file_that_cannot_be_shipped_is_refused_before_anything_is_made(
    tiny_build, tmp_path: Path
) -> None:
    missing = _release(tiny_build, tmp_path / "out", NO_REFERENCE, "--license-file", "NOPE")
    assert missing.exit_code == 2
    said = " ".join(missing.output.split())
    assert "--license-file: NOPE existiert nicht" in said and "Traceback" not in said
    assert not (tmp_path / "out").exists()

    recipe = write_tiny_project(tmp_path / "project")
    source = recipe.read_text(encoding="utf-8")
    settings = f'license = "{NO_REFERENCE}"\nlicense_file = "LICENSE.weights"'
    recipe.write_text(source.replace('license = "Apache-2.0"', settings), encoding="utf-8")
    refused = invoke("build", recipe, "--workspace", tmp_path / "workspace")
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert f"{recipe}: release.license_file:" in said and "LICENSE.weights" in said, said
    assert "existiert nicht" in said and "Traceback" not in said
    assert not (tmp_path / "workspace").exists()
    (tmp_path / "project" / "LICENSE.weights").write_bytes(b"\xff\xfe Mulan \xff")
    refused = invoke("build", recipe, "--workspace", tmp_path / "workspace")
    assert refused.exit_code == 2 and "kein UTF-8-Text" in refused.output, refused.output
    assert not (tmp_path / "workspace").exists()


def test_a_recipe_licence_file_is_shipped_and_reproduced(tmp_path: Path) -> None:
    from gemeingut.release.reproduce import _stage_recipe

    recipe = write_tiny_project(tmp_path / "project")
    source = recipe.read_text(encoding="utf-8")
    settings = f'license = "{NO_REFERENCE}"\nlicense_file = "terms/LICENSE.weights"'
    recipe.write_text(source.replace('license = "Apache-2.0"', settings), encoding="utf-8")
    (tmp_path / "project" / "terms").mkdir()
    (tmp_path / "project" / "terms" / "LICENSE.weights").write_text(MULAN, encoding="utf-8")
    built = invoke("build", recipe, "--workspace", tmp_path / "workspace")
    assert built.exit_code == 0, built.output
    bundle = next((tmp_path / "workspace" / "release").glob("*/bundle"))
    assert (bundle / "model" / "LICENSE").read_text(encoding="utf-8") == MULAN
    assert _checks(bundle)["licence.text"]["passed"]
    verify_bundle(bundle)
    # `reproduce` puts the text where the bundle's recipe names it, as it was given
    staged = _stage_recipe(bundle, tmp_path / "again")
    assert (staged.parent / "terms" / "LICENSE.weights").read_text(encoding="utf-8") == MULAN
