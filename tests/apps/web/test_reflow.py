"""The page reflows down to 320 CSS pixels (WCAG 2.1 1.4.10, AA): no view scrolls sideways,
also a 1280-pixel screen at 400 % zoom."""

from __future__ import annotations

import httpx

from tests.apps.web.conftest import axe_violations, sign_in

VIEWS = (
    "Chat",
    "Dokumente",
    "Blick ins Modell",
    "Vermerk oder Rede",
    "Ausschreibung prüfen",
    "Über das Modell",
    "Richtlinie und Protokoll",
)


def test_no_view_scrolls_sideways_at_320_pixels(page, site: dict) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, site)
    wide = {}
    for view in VIEWS:
        page.get_by_role("button", name=view, exact=True).click()
        width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if width[0] > width[1]:
            wide[view] = width
    assert wide == {}


def test_the_findings_table_scrolls_in_its_own_box_at_320_pixels(page, site: dict) -> None:
    """Six columns do not fit a phone: the table scrolls in a box the keyboard can reach, and the
    page does not; the view's heading names the table and is not repeated as a caption."""
    found = {"category": "bias", "prompt": "Können Frauen einparken?", "response": "Nein."}
    reported = httpx.post(  # a table of none is not shown: one finding to list
        f"{site['url']}/v1/findings",
        json=found,
        headers={"Authorization": f"Bearer {site['key']}"},
        timeout=30,
    )
    assert reported.status_code == 200, reported.text
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, site, site["triage_key"])
    page.get_by_role("button", name="Befunde", exact=True).click()
    page.locator("#findings thead").wait_for()
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1]
    table = page.get_by_role("table", name="Gemeldete Befunde")
    box = table.locator("xpath=..")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth && box.tabIndex === 0")
    assert page.get_by_text("Gemeldete Befunde", exact=True).count() == 1
    assert axe_violations(page) == []
