"""What the page's views say and keep, in a real browser: focus after signing in, how many
passages a search found, a tender check that shows only its own results and never checks text
and file together, a memo or speech that says when there is no collection or no source, the
language switch that keeps the view and what was typed, errors that blame nobody's input
wrongly, and "Token" as German writes it."""

from __future__ import annotations

import re
from pathlib import Path

from gemeingut.apps.assistants.drafts import NO_EVIDENCE
from tests.apps.web.conftest import axe_violations, look_inside, sign_in


def requests_to(page, path: str) -> list[str]:
    """The URLs of the page's requests to `path` from now on."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if path in r.url else None)
    return asked


def test_signing_in_moves_the_focus_to_the_open_view(page, site: dict) -> None:
    sign_in(page, site)  # the sign-in form is gone: focus must not fall back to the page
    page.wait_for_function("document.activeElement.id === 'chat-heading'")


def test_a_search_says_how_many_passages_it_found_and_numbers_them_once(page, site) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    page.locator("#results li").first.wait_for()
    found = page.locator("#results li").count()
    said = "1 Stelle gefunden." if found == 1 else f"{found} Stellen gefunden."
    assert page.locator("#documents-status").inner_text() == said
    # "[1] …" as citations name it, and no list number before it
    assert page.locator("#results li").first.inner_text().startswith("[1] akten/leitfaden.pdf")
    assert page.locator("#results").evaluate("l => getComputedStyle(l).listStyleType") == "none"


def test_a_tender_check_shows_only_its_own_results(page, site: dict, tmp_path: Path) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    text = page.get_by_label("Text der Ausschreibung")
    text.fill("Geliefert werden 200 Tablets, Hersteller: Apple. Die Angebotsfrist beträgt 20 Tage.")
    check = page.get_by_role("button", name="Prüfen", exact=True)
    check.click()
    page.locator("#tender-findings li").first.wait_for()
    # text and a file: refused, saying why, and nothing is sent or left listed
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4\nkein PDF\n")
    page.get_by_label("Oder eine Datei des Entwurfs").set_input_files(broken)
    sent = requests_to(page, "/v1/assist/tender")
    check.click()
    status = page.locator("#tender-status")
    assert status.inner_text().startswith("Fügen Sie den Text ein oder wählen Sie eine Datei")
    assert "nicht beides" in status.inner_text() and sent == []
    assert page.locator("#tender-findings li").count() == 0
    assert axe_violations(page) == []
    text.fill("")
    check.click()  # the broken file alone: its error, and no findings of the text before
    page.wait_for_function("document.getElementById('tender-status').textContent.includes(':')")
    page.wait_for_function("!document.getElementById('tender-status').textContent.endsWith('…')")
    assert status.inner_text().startswith("Nicht möglich:")  # the file, not the server
    assert page.locator("#tender-findings li").count() == 0
    remove = page.get_by_role("button", name="Datei entfernen")
    remove.click()  # the way back to a pasted text
    assert page.get_by_label("Oder eine Datei des Entwurfs").input_value() == ""
    assert remove.is_hidden()


def test_the_draft_kinds_are_radios_beside_their_labels(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    for choice in ("draft-vermerk", "draft-rede"):
        radio = page.locator(f"#{choice}").bounding_box()
        label = page.locator(f"label[for={choice}]")
        box = label.bounding_box()
        assert radio["x"] + radio["width"] <= box["x"]  # before its label, not above it
        middle = radio["y"] + radio["height"] / 2
        assert box["y"] <= middle <= box["y"] + box["height"]  # on the same line
        assert label.evaluate("l => getComputedStyle(l).fontWeight") == "400"
    assert axe_violations(page) == []


def test_switching_the_language_keeps_the_view_and_what_was_typed(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_label("Ihre Nachricht").fill("Die Katze sieht den Garten.")
    page.get_by_role("button", name="Senden").click()
    page.get_by_role("button", name="Antwort melden").wait_for()  # the answer is complete
    page.get_by_label("Ihre Nachricht").fill("Noch nicht gesendet")
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill("Hersteller: Apple.")
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    # the documents view's answer, its sources and the source open in the viewer go along too
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    page.get_by_role("button", name="Quelle anzeigen [1]").click()
    page.locator("#source-heading").wait_for()
    answered = page.locator("#answer-text").inner_text()
    sources = page.locator("#results li p:nth-child(2)").all_inner_texts()  # the passages
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en#documents")  # the view's own address, in English
    page.get_by_text("Signed in. Model: winzig").wait_for()
    assert page.locator("#view-documents").is_visible() and page.locator("#view-chat").is_hidden()
    tab = page.get_by_role("button", name="Documents", exact=True)
    assert tab.get_attribute("aria-current") == "page"
    page.wait_for_function("document.activeElement.id === 'documents-heading'")
    assert page.get_by_label("Question").input_value() == "Frist Eingang Angebote"
    assert page.locator("#answer").is_visible() and page.locator("#answer-text").inner_text() == (
        answered
    )
    assert page.locator("#answer-verdict").inner_text().startswith("Check this answer")
    assert page.locator("#results li p:nth-child(2)").all_inner_texts() == sources
    assert page.locator("#source").is_visible()
    assert page.locator("#source-heading").inner_text().startswith("Source")
    assert "akten/leitfaden.pdf, page 2" in page.locator("#source-heading").inner_text()
    # an answer of nothing but blanks (the model wrote only newlines) says so in English
    page.evaluate("showAnswerText({answer: '\\n\\n', citations: [], sources: []}, 'vergabe')")
    assert page.locator("#answer-text").inner_text() == "The model wrote no answer."
    assert page.locator("#tender-text").input_value() == "Hersteller: Apple."
    assert page.locator("#message").input_value() == "Noch nicht gesendet"
    assert page.locator(".turn.user").inner_text() == "You: Die Katze sieht den Garten."
    assert page.locator(".turn.assistant button.report").count() == 1
    assert page.evaluate("sessionStorage.getItem('gemeingut-carry')") is None
    assert axe_violations(page) == []


def test_without_a_collection_a_draft_says_so_before_it_is_sent(page, site: dict) -> None:
    sign_in(page, site, site["triage_key"])  # tom's group owns no collection
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Fristen")
    sent = requests_to(page, "/v1/assist/draft")
    page.get_by_role("button", name="Entwurf schreiben").click()
    status = page.locator("#draft-status")
    assert status.inner_text() == "Für Sie ist keine Sammlung freigegeben."
    assert sent == []


def test_a_speech_without_a_matching_source_says_that_none_matched(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_role("radio", name="Rede").check()
    page.get_by_label("Thema").fill("Quantenchromodynamik")
    page.get_by_role("button", name="Entwurf schreiben").click()
    status = page.locator("#draft-status")
    page.wait_for_function("!document.getElementById('draft-status').textContent.endsWith('…')")
    assert status.inner_text() == NO_EVIDENCE["de"]
    assert "0 Abschnitte" not in status.inner_text()
    assert page.locator("#draft").is_hidden()  # no empty "Quellen" under it
    assert axe_violations(page) == []


def test_only_the_servers_own_failure_is_said_to_have_gone_wrong(page, site: dict) -> None:
    sign_in(page, site)
    said = page.evaluate(
        "[failed({status: 400, message: 'x'}), failed({status: 503, message: 'y'}),"
        " failed(new TypeError('Failed to fetch'))]"
    )
    assert said == [
        "Nicht möglich: x.",  # the server's reason, as a sentence
        "Etwas ist schiefgegangen: y.",
        f"Etwas ist schiefgegangen: {UNREACHABLE}",
    ]


UNREACHABLE = (
    "Der Server war nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut."
)
UNREADABLE = "Die Antwort des Servers konnte nicht gelesen werden. Versuchen Sie es erneut."


def test_a_lost_connection_and_a_broken_answer_are_said_in_german(page, site: dict) -> None:
    """The browser names them in English ("Failed to fetch", "Unexpected token"): the page not."""
    page.goto(site["url"] + "/")
    page.route("**/v1/models", lambda route: route.abort())
    page.get_by_label("API-Schlüssel").fill(site["key"])
    page.get_by_role("button", name="Anmelden").click()
    alert = page.get_by_role("alert")
    alert.get_by_text(UNREACHABLE).wait_for()  # not "the key was not accepted"
    assert alert.inner_text() == f"Etwas ist schiefgegangen: {UNREACHABLE}"
    page.unroute("**/v1/models")
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    status = page.locator("#documents-status")
    page.route("**/search", lambda route: route.abort())
    page.get_by_role("button", name="Suchen").click()
    page.get_by_text(UNREACHABLE).wait_for()
    assert status.inner_text() == f"Etwas ist schiefgegangen: {UNREACHABLE}"
    page.unroute("**/search")
    proxy = "<html><body>Bad Gateway</body></html>"  # a proxy's page where JSON was due
    page.route("**/search", lambda route: route.fulfill(status=200, body=proxy))
    page.get_by_role("button", name="Suchen").click()
    page.get_by_text(UNREADABLE).wait_for()
    assert status.inner_text() == f"Etwas ist schiefgegangen: {UNREADABLE}"


def test_every_list_without_markers_stays_a_list_for_screen_readers(page, site: dict) -> None:
    """VoiceOver drops the list of a list styled without markers, unless it says role=list."""
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    page.locator("#results li").first.wait_for()
    unmarked = page.evaluate(
        """() => [...document.querySelectorAll('ul, ol')]
          .filter(l => getComputedStyle(l).listStyleType === 'none')
          .filter(l => l.getAttribute('role') !== 'list')
          .map(l => l.id || l.parentElement.tagName)"""
    )
    assert unmarked == []


def test_the_look_inside_writes_the_plural_tokens_as_duden_does(page, site: dict) -> None:
    look_inside(page, site, "Die Katze")
    caption = page.locator("#tokens-caption").inner_text()
    # Duden's plural "Tokens"; "1 Token" for one
    assert re.fullmatch(r"Der Text, wie das Modell ihn sieht: (?:1 Token|\d+ Tokens)", caption)
    shown = page.locator("#view-tokens").inner_text()
    assert "übrige Tokens" in shown
    assert not re.search(r"(?<![\d.,])(?!1\s)\d[\d.,]*\s+Token\b|übrige Token\b", shown), shown
