"""The API's description and its pages (`/openapi.json`, `/docs`, `/redoc`) in the reader's
language: German by default, English on request (Accept-Language, or `?lang=`, which the pages
pass on to their own request for the description). They were English only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from gemeingut.i18n import translations
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.openapi_language import described_in, openapi_texts, places, texts
from tests.apps.web.conftest import TIMEOUT, browser  # noqa: F401  (the fixture: chromium)

GERMAN = translations("de")


def blanked(description: dict[str, Any]) -> dict[str, Any]:
    """`description` with every text a person reads emptied: what stays is its structure."""
    for node, key in places(description):
        node[key] = ""
    return description


def test_the_description_is_german_by_default_every_text_from_the_catalogue(
    server_url: str,
) -> None:
    """Each text of the English description has its German in the catalogue, and the German
    description says exactly that German in its place: a route or field added without German
    fails here, by its English text. Nothing but the texts differs."""
    english = httpx.get(server_url + "/openapi.json", params={"lang": "en"}).json()
    german = httpx.get(server_url + "/openapi.json").json()
    assert [text for text in texts(english) if text not in GERMAN] == []
    said = [(node[key], GERMAN[node[key]]) for node, key in places(english)]
    assert [node[key] for node, key in places(german)] == [de for _, de in said]
    assert german["paths"]["/v1/chat/completions"]["post"]["summary"] == "Chat fortsetzen"
    assert sum(en != de for en, de in said) > 0.9 * len(said)  # not the English again
    assert blanked(german) == blanked(english)


@pytest.mark.parametrize(
    ("query", "header", "language"),
    [
        ({}, None, "de"),
        ({}, "fr-FR, en;q=0.5", "en"),
        ({"lang": "en"}, "de", "en"),
        ({"lang": "de"}, "en-US", "de"),
    ],
)
def test_the_description_follows_lang_before_accept_language(
    server_url: str, query: dict[str, str], header: str | None, language: str
) -> None:
    headers = {"Accept-Language": header} if header else {}
    answer = httpx.get(server_url + "/openapi.json", params=query, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-language"] == language
    summary = answer.json()["paths"]["/v1/models"]["get"]["summary"]
    assert summary == {"de": "Modelle auflisten", "en": "List Models"}[language]


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_a_language_the_server_does_not_speak_is_refused_by_name(
    server_url: str, path: str
) -> None:
    answer = httpx.get(server_url + path, params={"lang": "fr"}, headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "query.lang"
    assert "'de', 'en'" in error["message"]


def test_every_text_a_server_describes_reaches_the_catalogue(
    tmp_path: Path, backend: TransformersBackend
) -> None:
    """`make messages` adds `openapi_texts()` to the catalogue, read from an app without a
    model: they hold every text of a real server's description, one that checks keys too
    (its key's description), and each has its German."""
    gateway = Gateway(open_store(str(tmp_path / "gateway.db")))
    try:
        app = create_app(backend, gateway=gateway, collections=tmp_path / "collections")
        described = texts(app.openapi())
    finally:
        gateway.close()
    known = openapi_texts()
    assert [text for text in described if text not in known] == []
    assert [text for text in known if text not in GERMAN] == []


def test_each_language_is_described_once(backend: TransformersBackend) -> None:
    app = create_app(backend)
    german = described_in(app, "de")
    assert described_in(app, "de") is german
    assert described_in(app, "en") is not german
    assert app.openapi()["info"]["summary"] == described_in(app, "en")["info"]["summary"]


SUMMARY = ".opblock-summary-description"  # Swagger UI: an operation's summary beside its path


@pytest.mark.parametrize(
    ("locale", "first", "other"),
    [("fr-FR", "de", "en"), ("en-US", "en", "de")],  # French: neither language, so German
)
def test_the_docs_page_is_in_the_browsers_language_and_links_to_the_other(
    browser,  # noqa: F811
    server_url: str,
    locale: str,
    first: str,
    other: str,
) -> None:
    summaries = {"de": "Chat fortsetzen", "en": "Chat Completions"}
    titles = {"de": "API-Referenz", "en": "API reference"}
    context = browser.new_context(locale=locale)  # the browser's Accept-Language
    try:
        page = context.new_page()
        page.goto(server_url + "/docs", wait_until="load")
        for shown, hidden in ((first, other), (other, first)):
            page.locator(SUMMARY, has_text=summaries[shown]).wait_for(timeout=TIMEOUT)
            assert summaries[hidden] not in page.locator(SUMMARY).all_inner_texts()
            assert page.locator("html").get_attribute("lang") == shown
            assert titles[shown] in page.title()
            if shown == first:
                page.click(f'nav a[hreflang="{other}"]')  # the link to the other language
    finally:
        context.close()


def test_redoc_shows_the_operations_in_the_pages_language(
    browser,  # noqa: F811
    server_url: str,
) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(server_url + "/redoc?lang=de", wait_until="load")
        page.get_by_text("Modelle auflisten").first.wait_for(timeout=TIMEOUT)
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_text("List Models").count() == 0
    finally:
        context.close()
