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


def test_at_1280_pixels_triage_buttons_show_and_the_about_labels_leave_the_values_room(
    page, site: dict
) -> None:
    """On a common laptop screen the findings table's last column (its header and its
    Bestätigen/Ablehnen buttons) lies inside the page, not cut off at the box's right edge with
    no sign of scrolling; „Über das Modell“ gives its values more room than its labels (before,
    the labels took half the width and a licence list wrapped into many narrow lines)."""
    # an address and a word longer than a column, as pasted from a chat
    prompt = "Siehe https://example.org/" + "verwaltung/" * 8 + " " + "Ausschreibungs" * 6
    found = {"category": "bias", "prompt": prompt, "response": "Ja. " * 20}
    httpx.post(
        f"{site['url']}/v1/findings",
        json=found,
        headers={"Authorization": f"Bearer {site['key']}"},
        timeout=30,
    ).raise_for_status()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, site, site["triage_key"])
    page.get_by_role("button", name="Befunde", exact=True).click()
    page.locator("#findings tbody button").first.wait_for()
    inside = page.evaluate(
        """() => {
          const box = document.getElementById('findings-box').getBoundingClientRect();
          const parts = [...document.querySelectorAll(
            '#findings thead th, #findings tbody button')];
          return parts.filter((part) => {
            const edge = part.getBoundingClientRect();
            return edge.right > Math.min(box.right, innerWidth) + 0.5 || edge.left < box.left - 0.5;
          }).map((part) => part.textContent);
        }"""
    )
    assert inside == []
    page.get_by_role("button", name="Über das Modell").click()
    page.locator("#about-facts dd").first.wait_for()
    label, value = page.evaluate(
        """() => ['dt', 'dd'].map((tag) => Math.max(...[...document.querySelectorAll(
          `#about-facts ${tag}`)].map((e) => e.getBoundingClientRect().width)))"""
    )
    assert label < value
    assert axe_violations(page) == []
