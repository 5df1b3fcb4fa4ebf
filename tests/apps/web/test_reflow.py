"""The page reflows down to 320 CSS pixels (WCAG 2.1 1.4.10, AA): no view scrolls sideways,
also a 1280-pixel screen at 400 % zoom."""

from __future__ import annotations

from tests.apps.web.conftest import sign_in

VIEWS = (
    "Chat",
    "Dokumente",
    "Blick ins Modell",
    "Vermerk oder Rede",
    "Ausschreibung prüfen",
    "Über das Modell",
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
