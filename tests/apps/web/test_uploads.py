"""People add their own documents to a collection on the page and find them at once, in a real
browser: the collection's documents are listed, a file is uploaded and then found by a search,
a file that cannot be read is refused with why, and a document is removed after asking; the
view has no WCAG 2.1 AA violations with the list and the form on it."""

from __future__ import annotations

from pathlib import Path

from tests.apps.web.conftest import UPLOAD_LIMIT, axe_violations, sign_in
from tests.apps.web.uploading import chosen, documents_view, sent

NAME = "Förderrichtlinie.md"


def test_a_document_uploaded_on_the_page_is_found_and_can_be_removed(
    page, site: dict, tmp_path: Path
) -> None:
    sign_in(page, site)
    held = documents_view(page)
    assert held.first.inner_text().startswith("akten/leitfaden.pdf: ")
    assert page.locator("#upload-help").inner_text().startswith("Bis zu 2 MiB je Datei.")
    note = tmp_path / NAME
    note.write_text(
        "# Förderung\n\nDie Förderung von Musikschulen beträgt höchstens 5000 Euro im Jahr.\n",
        encoding="utf-8",
    )
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4 kaputt")
    large = tmp_path / "gross.txt"
    large.write_bytes(b"x" * (UPLOAD_LIMIT + 1))
    # the operator's document is not the person's to remove
    assert held.first.get_by_role("button").count() == 0
    chosen(page, note, broken, large)
    choice = page.locator("#upload-file-chosen")
    assert choice.inner_text() == f"Ausgewählt: {NAME}, kaputt.pdf, gross.txt"
    said = sent(page)
    assert said.startswith(f"„{NAME}“ wurde hinzugefügt. „kaputt.pdf“ wurde nicht aufgenommen:")
    assert said.count("kaputt.pdf") == 1, said  # the server's sentence names it: said once
    assert said.endswith("„gross.txt“ ist größer, als der Server annimmt (2 MiB): nicht gesendet.")
    page.locator("#held-list li", has_text=f"{NAME}: 1 Stelle").wait_for()
    assert choice.inner_text() == "Keine Datei ausgewählt"  # sent: the input is empty again
    assert axe_violations(page) == []

    page.get_by_label("Frage").fill("Musikschulen Förderung")
    page.get_by_role("button", name="Suchen").click()
    page.locator("#results li").first.wait_for()
    assert page.locator("#results li").first.inner_text().startswith(f"[1] {NAME}")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"„{NAME}“ entfernen").click()
    status = page.locator("#held-status")
    status.filter(has_text="wurde entfernt").wait_for()
    assert status.inner_text() == f"„{NAME}“ wurde entfernt."
    assert page.locator("#held-list li", has_text=NAME).count() == 0
    page.wait_for_function("document.activeElement.id === 'held-heading'")


def test_the_file_inputs_speak_the_pages_language(page, site: dict) -> None:
    """Not the browser's "Choose Files" and "No file chosen" under a German page: the native
    input is out of sight, its label is the button, and the keyboard still reaches it."""
    sign_in(page, site)
    documents_view(page)
    form = page.locator("#upload-form")
    form.wait_for()
    picker = page.locator("#upload-file")
    box = picker.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1  # the browser's, unseen
    button = form.locator("label.file-button")
    assert button.is_visible() and button.inner_text() == "Dateien auswählen"
    assert page.locator("#upload-file-chosen").inner_text() == "Keine Datei ausgewählt"
    assert form.inner_text().count("Dokumente hinzufügen") == 1
    assert "Choose" not in form.inner_text() and "chosen" not in form.inner_text()
    # named by its own label alone; what it holds is its description
    assert (
        page.get_by_label(
            "Dokumente hinzufügen (PDF, DOCX, ODT, HTML, Markdown, Text)", exact=True
        ).count()
        == 1
    )
    assert picker.get_attribute("aria-describedby").startswith("upload-file-chosen")
    # the keyboard reaches it, and the button shows where the focus is
    page.locator("#collection").focus()
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "upload-file":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "upload-file"
    assert button.evaluate("label => getComputedStyle(label).outlineStyle") == "solid"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    tender = page.locator("#tender-form")
    assert tender.locator("label.file-button").inner_text() == "Datei auswählen"
    assert page.locator("#tender-file-chosen").inner_text() == "Keine Datei ausgewählt"
    assert axe_violations(page) == []
    page.goto(site["url"] + "/?lang=en")  # and in English, in English
    page.get_by_role("button", name="Check a tender").click()
    assert page.locator("#tender-form label.file-button").inner_text() == "Choose a file"
