"""Each view of the page has its own address and is an entry in the tab's history, in a real
browser: the back and forward buttons go from view to view within the site (what was typed
stays, focus goes to the view's heading), a reload or a link of a view's address opens that
view (after signing in, where the link was followed signed out), and the language switch keeps
it. After signing out, the back button brings none of the signed-in views back."""

from __future__ import annotations

from tests.apps.web.back_forward_cache import cached_page
from tests.apps.web.conftest import TIMEOUT, axe_violations, sign_in


def _shown(page, view: str) -> None:
    """`view` is shown, its tab marked and its heading focused (as a tab's click leaves it)."""
    page.wait_for_function(f"document.activeElement.id === '{view}-heading'")
    assert page.locator(f"#view-{view}").is_visible()
    assert page.locator(".view:visible").count() == 1
    current = page.locator(".tab[aria-current=page]")
    assert current.get_attribute("data-view") == view


def test_the_back_and_forward_buttons_go_from_view_to_view(page, site: dict) -> None:
    sign_in(page, site)
    start = page.url
    page.get_by_role("button", name="Dokumente").click()
    assert page.url == f"{start}#documents"
    assert page.title().startswith(page.locator("#documents-heading").inner_text())
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    assert page.url == f"{start}#tender"

    page.go_back()
    _shown(page, "documents")
    assert page.url == f"{start}#documents"
    assert page.get_by_label("Frage").input_value() == "Frist Eingang Angebote"  # not reloaded
    assert axe_violations(page) == []
    page.go_back()
    _shown(page, "chat")
    assert page.url == start and page.title() == page.locator("h1").inner_text()
    page.go_forward()
    _shown(page, "documents")
    page.get_by_role("button", name="Dokumente", exact=True).click()  # shown: no new entry
    page.go_back()
    _shown(page, "chat")


def test_a_reload_or_a_link_opens_the_view_it_names(browser, page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.reload()
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    _shown(page, "draft")
    page.get_by_role("link", name="English").click()  # the same view, in English
    page.wait_for_url("**/?lang=en#draft")
    _shown(page, "draft")

    # the link, sent to someone signed out: the view opens once they have signed in
    context = browser.new_context(locale="de-DE", bypass_csp=True)  # for wait_for_function
    other = context.new_page()
    other.set_default_timeout(TIMEOUT)
    try:
        other.goto(site["url"] + "/#tender")
        other.get_by_label("API-Schlüssel").fill(site["key"])
        other.get_by_role("button", name="Anmelden").click()
        _shown(other, "tender")
        other.goto(site["url"] + "/#findings")  # a view Eva may not open: the chat instead
        _shown(other, "chat")
        assert other.url == site["url"] + "/"
    finally:
        context.close()


def test_the_back_button_after_signing_out_brings_no_view_back(browser, site: dict) -> None:
    with cached_page(browser) as page:  # the back-forward cache on, as in a person's browser
        sign_in(page, site)
        page.get_by_role("button", name="Dokumente").click()
        page.get_by_label("Frage").fill("Geheimnis von Eva")
        page.get_by_role("button", name="Ausschreibung prüfen").click()
        page.get_by_role("button", name="Abmelden").click()
        page.get_by_label("API-Schlüssel").wait_for()
        for _ in range(2):  # to the views Eva opened: each loaded afresh, signed out
            page.go_back(wait_until="commit")
            page.get_by_label("API-Schlüssel").wait_for(timeout=5_000)  # loaded afresh
            assert page.locator("#app").is_hidden()
            typed = page.evaluate(
                "[...document.querySelectorAll('#app input')].map(f => f.value).join(' ')"
            )
            assert "Geheimnis" not in typed + page.locator("#app").inner_text()


def test_the_skip_link_leaves_the_address_of_the_view(page, site: dict) -> None:
    # Before, the skip link's #content became the address: a reload then opened the chat, not
    # the view the person was in, and the back button first went to the same view again.
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    start = page.url
    page.keyboard.press("Shift+Tab")  # from the view's heading back to the start of the page
    while page.evaluate("document.activeElement.className") != "skip":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'content'")
    assert page.url == start
    page.reload()
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    _shown(page, "documents")
    page.go_back()
    _shown(page, "chat")
