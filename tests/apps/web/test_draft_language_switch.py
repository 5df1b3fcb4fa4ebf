"""A memo with parts a limit refused, shown again when the language is switched. Before, the
page said such a draft again only where the model had written every part (said again, the
others would have been written, or the route refused `sections: []`): a draft with missing
parts stayed in the language it was asked in. Now the page hands back the parts written and
asks for none (`sections: []`); the server says the draft in the language switched to, the
parts still to write listed as `missing`, and the model is not asked. The office of
test_draft_missing_parts.py (Lina may ask once a minute), in Debian's chromium, axe on the
draft in English."""

from __future__ import annotations

from tests.apps.web.conftest import axe_violations, sign_in
from tests.apps.web.test_draft_missing_parts import _statuses, site, write_memo

__all__ = ["site"]  # the office, for the `page` fixture


def test_a_draft_with_missing_parts_switches_language_without_asking_the_model(
    page, site: dict
) -> None:
    sign_in(page, site)
    draft = write_memo(page)
    assert draft["missing"]  # the limit refused some of its parts
    asked = _statuses(site)
    with page.expect_response("**/v1/assist/draft") as said_again:
        page.get_by_role("link", name="English").click()
    assert said_again.value.request.post_data_json["sections"] == []  # write none
    again = said_again.value.json()
    assert again["missing"] == draft["missing"]
    written = [s["text"] for s in draft["sections"] if s["asked_model"]]
    assert [s["text"] for s in again["sections"] if s["asked_model"]] == written
    page.locator("#draft-sections").filter(has_text="This part was not written.").wait_for()
    headings = page.locator("#draft-sections h4").all_inner_texts()
    assert headings == ["Facts", "Assessment", "Proposal"]
    parts = page.locator("#draft-sections").inner_text()
    assert "nicht geschrieben" not in parts.lower() and "Not written yet" in parts, parts
    assert page.get_by_role("button", name="Write the missing parts").is_visible()
    assert _statuses(site) == [*asked, 200]  # a record of its own: no model asked
    assert axe_violations(page) == []
