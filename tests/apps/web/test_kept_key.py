"""A key kept in the tab (its session storage) that the server no longer knows — revoked, or
replaced — while the tab was closed or away. Before, the page loaded with it and asked for the
models at once: a 401, red in the browser's console, and the sign-in form without a word of
why. Now the page asks the server quietly whether it still knows the key (`GET /key-check`,
always a 200) and, where it does not, says why beside the sign-in form. The site of
conftest.py: the real gateway in a real browser.
"""

from __future__ import annotations

import httpx

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import create_key, revoke_key
from tests.apps.web.conftest import sign_in


def test_a_kept_key_the_server_no_longer_knows_asks_to_sign_in_again(page, site: dict) -> None:
    key_id, key = create_key(site["engine"], "eva")
    sign_in(page, site, key)
    revoke_key(site["engine"], key_id)  # while the tab is open, before it loads again
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    page.reload()
    alert = page.get_by_role("alert")
    alert.get_by_text("Sie wurden abgemeldet").wait_for()
    assert "widerrufen" in alert.inner_text()  # the server's reason, in the page's language
    assert page.locator("#app").is_hidden() and page.get_by_label("API-Schlüssel").is_visible()
    assert page.evaluate("sessionStorage.getItem('gemeingut-key')") is None  # not tried again
    assert errors == []
    checked = [r for r in export(site["engine"]) if r["route"] == "/key-check"]
    assert checked and checked[-1]["decision"].startswith("auth:")  # recorded as a 401 is


def test_the_key_check_says_whether_a_key_is_known(site: dict) -> None:
    def check(key: str) -> dict:
        answer = httpx.get(
            f"{site['url']}/key-check",
            headers={"authorization": f"Bearer {key}", "accept-language": "en"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert check(site["key"]) == {"known": True, "reason": None}
    unknown = check("gg_nichtdabei")
    assert unknown["known"] is False, unknown
    assert unknown["reason"].startswith("what was sent as the API key does not have the form")
