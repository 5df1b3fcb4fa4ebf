"""The findings are asked for only by those who may triage them. Before, the page asked for
them (`GET /v1/findings`) on every sign-in and load to find out whether to offer the triage
view: for everybody not in the triage group a 403, red in the browser's console and network
panel, and a record in the audit log each time. Now `GET /v1/me` says whether the caller may
triage (`may_triage`, by the findings route's own rule), and the page asks for the findings
only where it may. The site of conftest.py: Eva (not triaging) and Tom (the triage group) in a
real browser, the real gateway's audit log.
"""

from __future__ import annotations

import httpx

from gemeingut.serve.gateway.audit_log import export
from tests.apps.web.conftest import sign_in


def _me(site: dict, key: str) -> dict:
    answer = httpx.get(
        f"{site['url']}/v1/me", headers={"authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_v1_me_says_who_may_triage(site: dict) -> None:
    assert _me(site, site["key"])["may_triage"] is False
    assert _me(site, site["triage_key"])["may_triage"] is True


def test_a_page_load_asks_for_the_findings_only_where_it_may_triage(page, site: dict) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    sign_in(page, site)  # Eva
    page.reload()  # a load with the key in the tab: signed in again at once
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    assert any("/v1/me" in url for url in asked)  # the page did ask what Eva may
    assert not [url for url in asked if "/v1/findings" in url]  # before: one each load
    assert page.locator("#findings-tab").is_hidden()
    refused = [r for r in export(site["engine"]) if r["route"] == "/v1/findings"]
    assert refused == []  # before: a 403 "scope:triage" record each load

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("API-Schlüssel").wait_for()
    sign_in(page, site, site["triage_key"])  # Tom
    page.get_by_role("button", name="Befunde").click()
    page.get_by_text("Noch keine Befunde.").wait_for()
    assert [url for url in asked if "/v1/findings" in url]  # asked, once it may
