"""`/docs` can send an API key: the description names HTTP bearer keys on the routes that check
one (and only there), so Swagger UI shows "Authorize", and "Try it out" answers 200 with the key
entered there. Without it every /v1 call tried on the page answered 401."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.apps.web.conftest import browser  # noqa: F401  (the fixture: Debian's chromium)

Serve = Callable[[FastAPI], AbstractContextManager[str]]
KEYED = {("get", "/v1/models"), ("post", "/v1/chat/completions"), ("post", "/tokenize")}
OPEN = {("get", "/health"), ("get", "/ready"), ("get", "/v1/policy"), ("get", "/metrics")}


@pytest.fixture(scope="module")
def keyed(
    tmp_path_factory: pytest.TempPathFactory, backend: TransformersBackend, serve: Serve
) -> Iterator[tuple[str, str]]:
    """A server that checks keys (a real SQLite database), with a collection (so that its
    routes are on), and a key of its user anna."""
    folder = tmp_path_factory.mktemp("keys")
    (folder / "akten").mkdir()
    (folder / "akten" / "notiz.txt").write_text("Die Frist beträgt 30 Tage.\n", encoding="utf-8")
    ingest(folder / "collections", "vergabe", [folder / "akten"])
    engine = open_store(str(folder / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, collections=folder / "collections")) as url:
        yield url, key
    gateway.close()


def operations(description: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, path): operation
        for path, methods in description["paths"].items()
        for method, operation in methods.items()
    }


def test_the_description_names_bearer_keys_where_a_key_is_checked(
    keyed: tuple[str, str],
) -> None:
    url, key = keyed
    description = httpx.get(url + "/openapi.json").json()
    [(name, scheme)] = description["components"]["securitySchemes"].items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    found = operations(description)
    assert {where for where in KEYED if found[where].get("security") == [{name: []}]} == KEYED
    assert {where for where in OPEN if "security" in found[where]} == set()
    # what the description says is what the server does, for each of its operations: asked
    # without a key, those that name the key answer 401, and no other does
    for (method, path), operation in found.items():
        asked = re.sub(r"\{[^}]+\}", "vergabe", path)
        status = httpx.request(method, url + asked, json={}, timeout=60).status_code
        assert (status == 401) == ("security" in operation), (method, path, status)
    assert httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {key}"}).is_success


def test_a_server_without_keys_describes_none(server_url: str) -> None:
    description = httpx.get(server_url + "/openapi.json").json()
    assert "securitySchemes" not in description.get("components", {})
    assert all("security" not in op for op in operations(description).values())


def test_a_key_entered_under_authorize_is_sent_by_try_it_out(
    browser,  # noqa: F811
    keyed: tuple[str, str],
) -> None:
    url, key = keyed
    page = browser.new_page()
    try:
        page.goto(url + "/docs", wait_until="load")
        page.click("button.authorize")
        page.fill(".auth-container input", key)
        page.click(".auth-container button.authorize")
        page.click("button.btn-done")
        models = page.locator(".opblock-get", has=page.locator('[data-path="/v1/models"]'))
        models.locator(".opblock-summary").click()
        models.locator("button.try-out__btn").click()
        models.locator("button.execute").click()
        status = models.locator(".live-responses-table .response .response-col_status")
        status.wait_for(timeout=30_000)
        assert status.inner_text().strip().startswith("200")
        assert '"tiny-llama"' in models.locator(".live-responses-table").inner_text()
    finally:
        page.close()
