"""What the page's upload tests share: the documents view opened, files chosen and sent from
it, and what its status says of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator


def documents_view(page) -> Locator:
    """The documents view of a signed-in German page, opened; the items of its list of the
    collection's documents, once they are drawn."""
    page.get_by_role("button", name="Dokumente").click()
    held = page.locator("#held-list li")
    held.first.wait_for()
    return held


def chosen(page, *files: Path) -> None:
    """`files` chosen in the documents view's form, not yet sent."""
    page.get_by_label("Dokumente hinzufügen").set_input_files([str(file) for file in files])


def sent(page) -> str:
    """The chosen files sent; the status once it says that one was added."""
    page.get_by_role("button", name="Hochladen").click()
    status = page.locator("#held-status")
    status.filter(has_text="wurde hinzugefügt").wait_for()
    return status.inner_text()


def uploaded(page, *files: Path) -> str:
    """`files` uploaded on the documents view of a signed-in German page; the status once it
    says that one was added."""
    documents_view(page)
    chosen(page, *files)
    return sent(page)
