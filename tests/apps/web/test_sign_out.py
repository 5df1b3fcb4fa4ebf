"""Signing out on a shared computer, in a real browser: whoever signs in next in the same tab
sees nothing the last person typed or was shown, and the model is sent none of it; what the
language switch carries is written only where the tab goes to the other language, tied to the
key's id, and left for nobody else; the back button brings no signed-out page back."""

from __future__ import annotations

import json

from tests.apps.web.back_forward_cache import cached_page
from tests.apps.web.conftest import axe_violations, sign_in

CARRY = "sessionStorage.getItem('gemeingut-carry')"


def sign_in_here(page, key: str) -> None:
    """Sign in on the page as it is (sign_in loads it afresh, which would hide a leak)."""
    page.get_by_label("API-Schlüssel").fill(key)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()


def what_was_typed_or_shown(page) -> str:
    """Every text of the signed-in part, shown or hidden, and every field's value."""
    return page.evaluate(
        """() => [document.getElementById('app').textContent,
                 ...[...document.querySelectorAll('#app input, #app textarea')].map(f => f.value)]
                 .join('\\n')"""
    )


def test_the_next_person_sees_and_sends_nothing_of_the_last(page, site: dict) -> None:
    sign_in(page, site)  # Eva chats, searches, checks a tender and starts a memo
    page.get_by_label("Ihre Nachricht").fill("Geheimnis von Eva")
    page.get_by_role("button", name="Senden").click()
    page.get_by_role("button", name="Antwort melden").click()  # the report form, filled in
    page.get_by_label("Ihre Nachricht").fill("Evas nächste Frage")
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote Eva")
    page.get_by_role("button", name="Suchen").click()
    page.locator("#results li").first.wait_for()
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill("Hersteller: Apple. Eva")
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Evas Thema")
    assert "Eva" in what_was_typed_or_shown(page)

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("API-Schlüssel").wait_for()
    page.wait_for_function("document.activeElement.id === 'key'")
    assert page.get_by_label("API-Schlüssel").input_value() == ""
    sign_in_here(page, site["triage_key"])  # Tom, at the same computer

    assert "Eva" not in what_was_typed_or_shown(page)
    assert page.locator(".turn").count() == 0
    assert page.locator("#results li, #tender-findings li").count() == 0
    with page.expect_request("**/v1/chat/completions") as sent:
        page.get_by_label("Ihre Nachricht").fill("Toms Frage")
        page.get_by_role("button", name="Senden").click()
    assert sent.value.post_data_json["messages"] == [{"role": "user", "content": "Toms Frage"}]
    assert axe_violations(page) == []


def test_a_signed_out_page_still_says_why_when_it_loads_afresh(page, site: dict) -> None:
    sign_in(page, site)
    page.evaluate("signOut('Ihr Schlüssel ist abgelaufen.')")  # as a 401 does
    page.get_by_role("alert").get_by_text("Ihr Schlüssel ist abgelaufen.").wait_for()
    page.wait_for_function("document.activeElement.id === 'key'")
    assert page.locator("#app").is_hidden()
    page.reload()  # said once, not every time the page loads
    page.get_by_label("API-Schlüssel").wait_for()
    assert page.get_by_role("alert").inner_text() == ""


def test_a_link_opened_in_a_new_tab_carries_nothing_for_the_next_person(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill("Vertraulicher Entwurf von Eva")
    here = page.url
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="English").click(modifiers=["Control"])
    opened.value.close()
    assert page.url == here  # this tab stayed where it was, and carries nothing
    assert page.evaluate(CARRY) is None

    # a switch this tab makes, but that never arrives (a 204 leaves the page as it is)
    page.route("**/?lang=en", lambda route: route.fulfill(status=204))
    page.get_by_role("link", name="English").click()
    page.wait_for_function(f"{CARRY} !== null")
    carried = page.evaluate(CARRY)
    key_id = site["key"].split("_")[1]
    assert site["key"] not in carried and json.loads(carried)["keyId"] == key_id
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("API-Schlüssel").wait_for()
    assert page.evaluate(CARRY) is None
    sign_in_here(page, site["triage_key"])
    assert page.get_by_label("Text der Ausschreibung").input_value() == ""


def test_a_carry_is_restored_only_for_the_key_that_wrote_it(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill("Vertraulicher Entwurf von Eva")
    page.route("**/?lang=en", lambda route: route.fulfill(status=204))
    page.get_by_role("link", name="English").click()
    page.wait_for_function(f"{CARRY} !== null")
    # another key in this tab (as the organisation's sign-in brings one): Eva's carry is not his
    page.evaluate(f"sessionStorage.setItem('gemeingut-key', {json.dumps(site['triage_key'])})")
    page.reload()  # the view the address names (#tender), without what Eva typed there
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    page.wait_for_function("document.activeElement.id === 'tender-heading'")
    assert page.locator("#tender-text").input_value() == ""
    assert page.evaluate(CARRY) is None


def test_the_sign_in_form_leaves_no_carry_behind(page, site: dict) -> None:
    sign_in(page, site)
    page.route("**/?lang=en", lambda route: route.fulfill(status=204))
    page.get_by_role("link", name="English").click()
    page.wait_for_function(f"{CARRY} !== null")
    page.evaluate("sessionStorage.removeItem('gemeingut-key')")  # as if the tab lost its key
    page.reload()
    page.get_by_label("API-Schlüssel").wait_for()
    assert page.evaluate(CARRY) is None


def test_the_back_button_brings_no_signed_out_page_back(browser, site: dict) -> None:
    with cached_page(browser) as page:  # the back-forward cache on, as in a person's browser
        sign_in(page, site)
        page.get_by_label("Ihre Nachricht").fill("Geheimnis von Eva")
        page.get_by_role("link", name="English").click()
        page.wait_for_url("**/?lang=en")
        page.get_by_text("Signed in. Model: winzig").wait_for()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("API key").wait_for()
        page.go_back(wait_until="commit")  # the German page, as Eva left it, from the cache
        # right after the commit the new document may have no root element yet
        page.wait_for_function("document.documentElement?.lang === 'de'")
        page.get_by_label("API-Schlüssel").wait_for(timeout=5_000)  # loaded afresh
        assert page.locator("#app").is_hidden()
        assert "Geheimnis" not in what_was_typed_or_shown(page)
