"""A real browser for the page: Debian's chromium driven by Playwright (its own browser download
cannot work offline), and axe-core from npm, injected from the local copy `make test` installs
(.cache/axe); without either the tests are skipped with the reason."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[3] / ".cache" / "axe" / "node_modules" / "axe-core"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Per module: Playwright's sync API holds an event loop in this thread while it runs, and
    later tests that start their own (asyncio.run) must not find it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def axe_violations(page) -> list[dict]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now."""
    script = AXE / "axe.min.js"
    if not script.is_file():
        pytest.skip("axe-core is not installed (make test installs it into .cache/axe)")
    page.add_script_tag(path=str(script))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found["violations"]
    ]
