"""The page does what the server does with the server's own figures, rendered into it from the
same constants and request models (page.py), never copies of them: changed on the server, the
page follows, in a real browser. Each figure here is set to a value no copy could have. The
passage's bound is also the one the running server checks (read at each request); a speech's
minutes are the request model's, which the route is declared with: changed here, only the
page's rendering of them is seen (the route keeps the model it first answered with)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from pydantic import Field

from gemeingut.apps.assistants import allowance
from gemeingut.apps.rag.readers import READERS
from gemeingut.serve import assist_routes, collections
from tests.apps.web.conftest import axe_violations, sign_in


class ShorterSpeeches(assist_routes.DraftBody):
    minutes: int = Field(default=3, ge=2, le=30)


@pytest.fixture
def changed(monkeypatch: pytest.MonkeyPatch, site: dict) -> None:
    """The server's figures, changed while it runs, after it has answered with them: a figure
    read once (a route's, at its first request) would not follow."""
    source = f"{site['url']}/v1/collections/vergabe/source"
    query = {"document": "akten/leitfaden.pdf", "page": "1", "passage": "Frist"}
    key = {"authorization": f"Bearer {site['key']}"}
    assert httpx.get(source, params=query, headers=key, timeout=60).status_code == 200
    monkeypatch.setattr(allowance, "LEAST_ANSWER_TOKENS", 7)
    monkeypatch.setattr(collections, "MAX_PASSAGE_CHARS", 30)
    monkeypatch.setattr(assist_routes, "DraftBody", ShorterSpeeches)
    monkeypatch.delitem(READERS, ".htm")


def _search(page) -> None:
    page.get_by_role("button", name="Dokumente").first.click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    page.locator("#results li").first.wait_for()


def test_a_speechs_length_and_the_files_follow_the_server(page, site: dict, changed) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_text("Rede", exact=True).click()
    minutes = page.get_by_label("Länge in Minuten")
    assert minutes.input_value() == "3"
    assert (minutes.get_attribute("min"), minutes.get_attribute("max")) == ("2", "30")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/assist/draft" in r.url else None)
    page.get_by_label("Thema").fill("Fristen")
    minutes.fill("45")  # more than the model takes: the browser says so, nothing is sent
    page.get_by_role("button", name="Entwurf schreiben").click()
    assert minutes.evaluate("field => field.validity.rangeOverflow")
    assert sent == []
    formats = ".pdf,.docx,.odt,.html,.md,.markdown,.txt"  # without .htm, which has no reader now
    assert page.locator("#upload-file").get_attribute("accept") == formats
    assert page.locator("#tender-file").get_attribute("accept") == formats
    assert axe_violations(page) == []


def test_a_shorter_answer_and_a_source_follow_the_server(page, site: dict, changed) -> None:
    sign_in(page, site)
    # an allowance that holds 10 answer tokens beside the prompt: a useful answer now (7 the
    # least), which 16 would not be
    quota = {"limit": 100, "used": 0, "reserved": 0, "requested": 200}  # 90 of the prompt
    refused = {"code": "rate_limit_exceeded", "param": "tokens_per_day", "quota": quota}
    assert page.evaluate("refused => answerThatFits(refused, 110)", refused) == 10
    _search(page)
    with page.expect_request("**/source?*") as opened:
        page.get_by_role("button", name="Quelle anzeigen [1]").click()
    asked = urlparse(opened.value.url)
    query = {name: values[0] for name, values in parse_qs(asked.query).items()}
    assert len(query["passage"]) == 30  # the passage the page is marked by, as the server says
    # and the server takes that long a passage, and not one character more
    source = f"{site['url']}{asked.path}"
    key = {"authorization": f"Bearer {site['key']}"}
    assert httpx.get(source, params=query, headers=key, timeout=60).status_code == 200
    longer = httpx.get(source, params=query | {"passage": query["passage"] + "x"}, headers=key)
    assert longer.status_code == 400, longer.text
    assert longer.json()["error"]["message"] == "query.passage: darf höchstens 30 Zeichen haben"
