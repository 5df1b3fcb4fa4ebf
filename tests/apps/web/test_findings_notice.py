"""In a real browser, a server that collects reports says on its policy view, under what it
records, what a report becomes (stored under a pseudonym with personal data replaced,
published once confirmed), as /v1/policy says it; the report form says the same."""

from __future__ import annotations

import httpx

from tests.apps.web.conftest import axe_violations, sign_in


def test_the_policy_view_says_what_a_report_becomes(page, site: dict) -> None:
    said = httpx.get(site["url"] + "/v1/policy", timeout=30).json()["findings"]["text"]["de"]
    assert said.startswith("Eine Meldung wird unter Ihrem Pseudonym gespeichert")
    sign_in(page, site)
    page.get_by_role("button", name="Richtlinie und Protokoll").click()
    page.locator("#policy-log li").first.wait_for()
    assert page.locator("#policy-findings").inner_text() == said
    assert page.locator("#policy-findings").is_visible()
    assert axe_violations(page) == []
    assert page.locator("#report .help").inner_text() == said
