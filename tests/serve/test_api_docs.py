"""`/docs` and `/redoc` work on a network without internet, and tell no one else who reads them:
their scripts and styles come from the server itself, under a policy that forbids any other
(README: no CDN). FastAPI's own pages loaded them from cdn.jsdelivr.net."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.apps.web.conftest import browser  # noqa: F401  (the fixture: Debian's chromium)

PAGES = {"/docs": ".opblock", "/redoc": "[data-section-id]"}  # page: what shows an operation
ABSOLUTE = re.compile(r"(?:https?:)?//[^\s\"'<>)]+")
CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]*)")


class _Linked(HTMLParser):
    """The addresses a page makes the browser load (scripts, styles, icons)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = found.get("src") or (found.get("href") if tag == "link" else None)
        if url is not None:
            self.urls.append(url)


def linked(html: str) -> list[str]:
    parser = _Linked()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", PAGES)
def test_the_api_docs_and_all_they_load_come_from_the_server(server_url: str, path: str) -> None:
    page = httpx.get(server_url + path, headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert ABSOLUTE.findall(page.text) == []
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "API-Referenz" in page.text  # the title in the reader's language
    assets = [url for url in linked(page.text) if not url.startswith("data:")]
    assert any(url.endswith(".js") for url in assets)
    for url in assets:
        address = urljoin(server_url + path, url)
        assert urlsplit(address).netloc == urlsplit(server_url).netloc
        asset = httpx.get(address)
        assert asset.status_code == 200, address
        assert asset.headers["x-content-type-options"] == "nosniff"
        if url.endswith(".css"):  # what a style sheet loads (fonts, images) is all inline
            assert all(u.startswith("data:") for u in CSS_URL.findall(asset.text)), url


def test_the_api_docs_serve_no_other_file(server_url: str) -> None:
    answer = httpx.get(server_url + "/api-docs/favicon.png")
    assert answer.status_code == 404
    assert "keine Datei der API-Referenz" in answer.json()["error"]["message"]


@pytest.mark.parametrize("path", PAGES)
def test_the_api_docs_render_with_no_request_leaving_the_server(
    browser,  # noqa: F811
    server_url: str,
    path: str,
) -> None:
    """In a browser, where each page's scripts ask for more (the description, a logo): what
    goes out to the network at all goes to the server, and nothing is even asked of another
    (ReDoc's sidebar asked cdn.redoc.ly for its logo, which the policy refused: a console
    error on every visit)."""
    outside: list[str] = []
    own = urlsplit(server_url).netloc
    errors: list[str] = []

    def air_gap(route) -> None:  # a network without internet: only the server answers
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: errors.append(r.url))
        page.route("**/*", air_gap)
        page.goto(server_url + path, wait_until="load")
        assert outside == []
        page.wait_for_selector(PAGES[path], timeout=30_000)  # it shows the API's operations
        page.wait_for_timeout(500)  # the sidebar's images, after the operations
        assert outside == []
        assert errors == []
    finally:
        page.close()
