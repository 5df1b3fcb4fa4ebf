"""A page in a browser as a person has it: Playwright turns chromium's back-forward cache off,
and what the back button brings back after signing out is only seen with it on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from tests.apps.web.conftest import TIMEOUT


@contextmanager
def cached_page(browser) -> Iterator:
    """A German page in a chromium of its own with the back-forward cache on."""
    cached = browser.browser_type.launch(
        executable_path=shutil.which("chromium"),
        args=["--no-sandbox"],
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        page = cached.new_context(locale="de-DE").new_page()
        page.set_default_timeout(TIMEOUT)
        yield page
    finally:
        cached.close()
