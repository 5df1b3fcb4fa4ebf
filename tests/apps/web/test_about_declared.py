"""„Über das Modell“ says where a model's files declare a rating they do not give (a release
bundle's openness.json that no longer holds), beside the rating computed from them; a model
whose declaration holds, or that declares none, shows no such note."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gemeingut.serve.model_openness import model_openness, unrated
from tests.apps.web.conftest import sign_in

CLASS_I = {
    "open": True,
    "licenses": {"weights": "CC-BY-SA-4.0"},
    "mof": {"class": 1, "label": "Class I - Open Science"},
    "osaid": {"passed": True},
}


def test_a_declared_rating_that_does_not_hold_is_said_beside_the_computed_one(
    page, site: dict, long_model_dir: Path, tmp_path: Path
) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Über das Modell").click()
    note = page.locator("#about-declared")
    assert note.is_hidden()  # the served folder declares nothing
    claimed = tmp_path / "bundle"
    shutil.copytree(long_model_dir, claimed / "model")
    (claimed / "openness.json").write_text(json.dumps(CLASS_I), encoding="utf-8")
    openness = model_openness(claimed / "model").in_language("de").model_dump()
    page.evaluate("openness => drawAbout(openness)", openness)
    assert page.locator("#about-open").inner_text().startswith("Nicht alle Offenheitsprüfungen")
    assert note.is_visible() and note.inner_text() == openness["declared"]
    assert note.inner_text().startswith("openness.json erklärt Klasse I – Open Science, offen")
    page.evaluate("openness => drawAbout(openness)", unrated().in_language("de").model_dump())
    assert note.is_hidden()
