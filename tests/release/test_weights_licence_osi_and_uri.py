"""Weights under an OSI-approved licence are open (OSAID asks for OSI-approved terms on the
parameters, the MOF accepts open-source licences for them), alone or beside an Open Definition
one; NC, ND and use-restricting terms stay refused. A Creative Commons release ships
`model/LICENSE` with the URI of the legal code (CC BY 4.0 § 3(a)(1)(C)), and `verify` holds
the bundle to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.release.openness.licences import content_licence, share_alike_conflicts
from gemeingut.release.openness.weights_licence_text import legal_code_uri
from gemeingut.release.verify import verify_bundle
from tests.release.licence_refusals import refusals
from tests.test_cli import invoke

OSI_WEIGHTS = ("EUPL-1.2", "MPL-2.0", "GPL-3.0-only", "LGPL-3.0-only", "ISC", "MulanPSL-2.0")


def _checks(bundle: Path) -> dict[str, dict]:
    rated = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    return {c["id"]: c for c in rated["checks"]}


def _release(tiny_build, out: Path, licence: str):
    kinds = ("dataset", "tokenizer", "model", "evaluation", "finetune")
    paths = [a for kind in kinds for a in (f"--{kind}", tiny_build[kind]["path"])]
    paths = [p.replace("--finetune", "--finetuned") for p in paths]
    return invoke("release", "--name", "winzig", "--out", out, "--license", licence, *paths)


@pytest.mark.parametrize("licence", OSI_WEIGHTS)
def test_osi_approved_weights_are_open(licence: str) -> None:
    assert content_licence(licence).open


def test_an_osi_part_beside_an_open_data_part_is_open_and_a_closed_part_is_named() -> None:
    mixed = content_licence("EUPL-1.2 AND CC-BY-4.0")
    assert mixed.open and "OSI-approved" in mixed.detail
    assert content_licence("MPL-2.0 AND CC-BY-SA-4.0").share_alike
    refused = content_licence("EUPL-1.2 AND CC-BY-NC-4.0")
    assert not refused.open and "CC-BY-NC-4.0 forbids commercial use" in refused.detail
    for closed in ("CC-BY-NC-4.0", "CC-BY-ND-4.0", "llama3", "gemma", "OpenRAIL-M"):
        assert not content_licence(closed).open, closed
    # share-alike data is carried only by its own licence: MulanPSL alone over CC-BY-SA is not
    assert share_alike_conflicts("MulanPSL-2.0", {"CC-BY-SA-4.0": {"wiki"}}) == {
        "CC-BY-SA-4.0": {"wiki"}
    }


def test_legal_code_uri_from_the_spdx_id() -> None:
    assert (
        legal_code_uri("CC-BY-SA-4.0") == "https://creativecommons.org/licenses/by-sa/4.0/legalcode"
    )
    assert legal_code_uri("CC-BY-4.0") == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert (
        legal_code_uri("CC-BY-3.0-DE") == "https://creativecommons.org/licenses/by/3.0/de/legalcode"
    )
    assert legal_code_uri("CC0-1.0") is None and legal_code_uri("Apache-2.0") is None


def test_an_eupl_release_is_rated_open_and_verifies(tiny_build, tmp_path: Path) -> None:
    released = _release(tiny_build, tmp_path / "eupl", "EUPL-1.2 AND CC-BY-4.0")
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "eupl" / "bundle"
    checks = _checks(bundle)
    assert checks["licence.weights"]["passed"], checks["licence.weights"]
    assert checks["licence.text"]["passed"], checks["licence.text"]
    failed = {c for c, check in checks.items() if not check["passed"]}
    apache = _checks(Path(tiny_build["release"]["path"]) / "bundle")
    assert failed == {c for c, check in apache.items() if not check["passed"]}
    verify_bundle(bundle)


def test_a_cc_by_sa_release_gives_the_uri_and_verify_names_its_loss(
    tiny_build, tmp_path: Path
) -> None:
    released = _release(tiny_build, tmp_path / "sa", "CC-BY-SA-4.0")
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "sa" / "bundle"
    licence = bundle / "model" / "LICENSE"
    uri = "https://creativecommons.org/licenses/by-sa/4.0/legalcode"
    assert licence.read_text(encoding="utf-8") == f"SPDX-License-Identifier: CC-BY-SA-4.0\n{uri}\n"
    said = _checks(bundle)["licence.text"]
    assert said["passed"] and uri in said["detail"] and "as the licence allows" in said["detail"]
    verify_bundle(bundle)

    changed, removed = refusals(bundle, "Some terms.\n")
    assert "licence.text" in changed and "model/LICENSE" in changed
    assert "licence.text" in removed and "model/LICENSE" in removed
