"""Two terms a custom licence states in words no other check knew: a duty to credit the licensor
where the model is used or shown ("with attribution to Example Corp on every page"), beyond the
notice every copy carries, and the licensor's right to change the terms later (Gemma's "Google
may update Gemma", "Licensor may update this Agreement from time to time"). Both are found in
terms of their own and as riders to an open licence's text, in English and German; the grants
and the open licences' own texts state neither."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from gemeingut.release.openness.foreign import rate_folder
from gemeingut.release.openness.licence_additions import added_text
from gemeingut.release.openness.text_restrictions import text_restrictions
from tests.release.test_licence_grants import GRANTS
from tests.release.test_licence_riders_variants import MIT
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

CREDITED = "the licensor must be credited where the model is used or shown"
CHANGED = "the licensor may change the terms or the model later"
REQUESTS = [
    "Please credit the authors in any publications that use this model.",
    "We kindly ask you to acknowledge the use of this model in any publication.",
]
DUTIES = [
    ("You may use the model with attribution to Example Corp on every page.", CREDITED),
    ("Auf jeder Seite, die das Modell nutzt, ist die Example GmbH zu nennen.", CREDITED),
    ("Any product using it must prominently display an attribution to Example.", CREDITED),
    (
        "You must display the Licensor logo on all pages that present outputs of the model.",
        CREDITED,
    ),
    ("Attribution to Example Corp must appear in any advertising of the model.", CREDITED),
    ("Meta may update this Agreement from time to time.", CHANGED),
    ("Meta Platforms, Inc. may amend this Agreement at any time.", CHANGED),
    ("These terms may be amended by the Licensor.", CHANGED),
    ("Example GmbH kann diese Lizenz jederzeit ändern.", CHANGED),
    ("Google may update Gemma from time to time.", CHANGED),
    ("Google may update Gemma.", CHANGED),
    ("Licensor may update this Agreement from time to time.", CHANGED),
    ("Der Lizenzgeber kann diese Bedingungen jederzeit ändern.", CHANGED),
    ("Wir behalten uns vor, diese Lizenz jederzeit zu ändern.", CHANGED),
]
NO_DUTIES = [
    *GRANTS,
    "You may update the model.",
    "Sie dürfen das Modell ändern und weitergeben.",
    "The above copyright notice shall be included in all copies of the Software.",
    "The Free Software Foundation may publish revised versions of the License from time to time.",
    # open licences' own clauses: a notice in the source (AFL-3.0, OSL-3.0 § 6), a credit as
    # prominent as the others' (CC-BY-3.0 § 4(c)), a ban on endorsement (HPND, X11)
    "You must cause the Source Code for any Derivative Works that You create to carry a "
    "prominent Attribution Notice reasonably calculated to inform recipients that You have "
    "modified the Original Work.",
    "The credit required by this Section 4(c) may be implemented in any reasonable manner; at a "
    "minimum such credit will appear in a manner at least as prominent as the credits for the "
    "other contributing authors.",
    "Permission is granted to use this software for any purpose, so long as the name of The "
    "University of Michigan is not used in any advertising or publicity.",
    "The name of the copyright holder shall not be used in any advertising or otherwise to "
    "promote the sale of this Software without prior written authorization.",
    *REQUESTS,
    # a steward's versions, anyone's or a contributor's right, a denial, a disclaimer
    "The OpenLDAP Foundation may revise this license from time to time.",
    "PSF may update the license in future releases.",
    "Each Contributor may update its Contribution.",
    "Any Person may modify the Software.",
    "Jede Person darf das Modell jederzeit ändern und weitergeben.",
    "Dritte dürfen die Lizenzhinweise nicht ändern.",
    "Die Lizenz kann nicht geändert werden.",
    "Der Lizenzgeber wird diese Bedingungen niemals ändern.",
    "The information contained herein is subject to change without notice.",
]


@pytest.mark.parametrize(("sentence", "said"), DUTIES)
def test_terms_of_their_own_state_the_duty(sentence: str, said: str) -> None:
    terms = f"WINZIG LICENSE\n\n1. You may use and share the Winzig model. {sentence}\n"
    found = [m.render("en") for m in text_restrictions(terms)]
    assert len(found) == 1 and found[0].startswith(said), found
    assert " ".join(sentence.split()[-3:]) in found[0]  # the clause quoted


@pytest.mark.parametrize("sentence", NO_DUTIES)
def test_a_grant_or_a_notice_states_none(sentence: str) -> None:
    assert text_restrictions(sentence) == []


def test_no_open_licence_s_text_states_a_restriction() -> None:
    source = (files("gemeingut.release.openness") / "licence_texts.yml").read_text("utf-8")
    for licence, text in yaml.safe_load(source).items():
        clean = text.replace("[[", "").replace("]]", "")
        assert text_restrictions(clean) == [], licence


@pytest.mark.parametrize(("sentence", "_said"), DUTIES)
@pytest.mark.parametrize("where", ["title", "end"])
def test_the_duty_as_a_rider_to_mit_is_quoted(sentence: str, _said: str, where: str) -> None:
    text = f"{sentence}\n\n{MIT}" if where == "title" else f"{MIT}\n{sentence}\n"
    added = added_text("MIT", text)
    assert added is not None and added.start is not None, added
    assert sentence.startswith(added.start.removesuffix(" …"))


@pytest.mark.parametrize("request_", REQUESTS)
def test_a_request_to_credit_beside_mit_leaves_it_open(tmp_path: Path, request_: str) -> None:
    folder = _folder(tmp_path / "m", "mit")
    (folder / "LICENSE").write_text(f"{MIT}\n{request_}\n", "utf-8")
    weights = next(c for c in rate_folder(folder)["checks"] if c["id"] == "licence.weights")
    assert weights["passed"], weights


def test_openness_rate_says_the_licensor_may_change_the_terms(tmp_path: Path) -> None:
    header = "license_name: winzig\nlicense_link: LICENSE\n"
    folder = _folder(tmp_path / "m", "other", extra_header=header)
    terms = "WINZIG LICENSE\n\nYou may use the model. Licensor may update this Agreement.\n"
    (folder / "LICENSE").write_text(terms, "utf-8")
    weights = next(c for c in rate_folder(folder)["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"] and CHANGED in weights["detail"], weights
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "der Lizenzgeber kann die Bedingungen oder das Modell nachträglich ändern" in shown
