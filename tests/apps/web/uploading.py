"""What the page's upload tests share: files sent from the documents view, and what its status
says of them."""

from __future__ import annotations

from pathlib import Path


def uploaded(page, *files: Path) -> str:
    """`files` uploaded on the documents view of a signed-in German page; the status once it
    says that one was added."""
    page.get_by_role("button", name="Dokumente").click()
    page.locator("#held-list li").first.wait_for()
    page.get_by_label("Dokumente hinzufügen").set_input_files([str(file) for file in files])
    page.get_by_role("button", name="Hochladen").click()
    status = page.locator("#held-status")
    status.filter(has_text="wurde hinzugefügt").wait_for()
    return status.inner_text()
