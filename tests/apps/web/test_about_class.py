"""„Über das Modell" names the class as `/v1/models` says it (`mof_said`): a folder whose
weights alone are open was shown as „Klasse III – Open Model (bedingt)" from its label, while
the API's number and `openness rate` say that no class is met in full; now the page shows the
API's words, the same verdict as the number."""

from __future__ import annotations

import shutil
from pathlib import Path

from gemeingut.serve.model_openness import model_openness
from tests.apps.web.conftest import sign_in


def test_a_conditional_class_is_shown_as_no_class_reached(
    page, site: dict, long_model_dir: Path, tmp_path: Path
) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Über das Modell").click()
    carded = tmp_path / "carded"
    shutil.copytree(long_model_dir, carded)
    (carded / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Modell\n", "utf-8")
    openness = model_openness(carded).in_language("de").model_dump()
    assert (openness["mof_class"], openness["mof_conditional"]) == (0, True)
    page.evaluate("openness => drawAbout(openness)", openness)
    term = page.locator("#about-facts dt", has_text="Model Openness Framework")
    shown = term.locator("xpath=following-sibling::dd[1]").inner_text()
    assert shown == openness["mof_said"]
    assert shown.startswith("keine Klasse erreicht (Klasse III – Open Model nur bedingt: ")
