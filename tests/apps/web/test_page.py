"""The page in a real browser: sign in with a key, chat with streaming, search a collection and
open a citation's page, switch the language, draft, check a tender, triage findings (the look
inside is test_look_inside.py, citations in answers test_citations.py); axe-core finds no
WCAG 2.1 AA violation in any view."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect

from gemeingut.audit.findings import read_findings
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.identity import create_key, revoke_key
from gemeingut.serve.model_audit import summarise
from gemeingut.serve.model_openness import model_openness, unrated
from tests.apps.rag.documents import write_pdf
from tests.apps.web.conftest import (
    TIMEOUT,
    TRAINING_DOCUMENT,
    axe_violations,
    look_inside,
    sign_in,
)
from tests.http_server import running_server


def test_signing_in_needs_a_valid_key(page, site: dict) -> None:
    page.goto(site["url"] + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert axe_violations(page) == []
    page.get_by_label("API-Schlüssel").fill("gg_falsch_falsch")
    page.get_by_role("button", name="Anmelden").click()
    alert = page.get_by_role("alert")
    alert.get_by_text("Der Schlüssel wurde nicht angenommen").wait_for()
    said = alert.inner_text()  # what is wrong with it, not that it is another server's
    assert "hat nicht die Form eines Schlüssels" in said and "Server" not in said, said
    sign_in(page, site)
    assert axe_violations(page) == []


def test_a_key_revoked_while_the_page_is_open_signs_out_saying_why(page, site: dict) -> None:
    page.goto(site["url"] + "/")
    page.get_by_label("API-Schlüssel").fill("   ")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("alert").get_by_text("Geben Sie zuerst Ihren Schlüssel").wait_for()
    key_id, key = create_key(site["engine"], "eva")
    sign_in(page, site, key)
    revoke_key(site["engine"], key_id)
    page.get_by_label("Ihre Nachricht").fill("Hallo")
    page.get_by_role("button", name="Senden").click()
    page.get_by_role("alert").get_by_text("Sie wurden abgemeldet").wait_for()
    assert page.locator("#app").is_hidden() and page.get_by_label("API-Schlüssel").is_visible()
    said = page.get_by_role("alert").inner_text()
    assert "widerrufen. Melden Sie sich" in said, said  # the reason is a sentence of its own


def test_chat_streams_the_answer(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_label("Ihre Nachricht").fill("Was ist ein Vermerk?")
    page.get_by_role("button", name="Senden").click()
    answer = page.locator(".turn.assistant span")
    page.wait_for_function(
        "() => document.querySelector('.turn.assistant span').textContent.length > 0"
    )
    page.wait_for_function("() => document.getElementById('chat-status').textContent === ''")
    assert answer.inner_text().strip()
    assert page.locator(".turn.user").inner_text().endswith("Was ist ein Vermerk?")
    assert axe_violations(page) == []


def test_a_citation_opens_its_page(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    first = page.locator("#results li").first
    first.wait_for()
    assert "[1] akten/leitfaden.pdf, S. 2" in first.inner_text()
    page.get_by_role("button", name="Quelle anzeigen [1]").click()
    heading = page.locator("#source-heading")
    heading.wait_for()
    assert heading.inner_text() == "Quelle: akten/leitfaden.pdf, S. 2"
    assert "dreißig Tage" in page.locator("#source-text mark").inner_text()
    assert axe_violations(page) == []


def test_the_source_viewer_closes_back_to_the_button_that_opened_it(page, site: dict) -> None:
    """Escape closes it, like "Schließen"; either way the focus returns to its button
    (WCAG 2.4.3), not to the start of the page."""
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    opener = page.get_by_role("button", name="Quelle anzeigen [1]")
    opener.click()
    page.locator("#source-heading").wait_for()
    assert page.evaluate("document.activeElement.id") == "source-heading"
    page.keyboard.press("Escape")
    assert page.locator("#source").is_hidden()
    assert opener.evaluate("button => button === document.activeElement")
    page.keyboard.press("Enter")  # the focused button opens it again
    page.locator("#source-heading").wait_for()
    page.get_by_role("button", name="Schließen").click()
    assert page.locator("#source").is_hidden()
    assert opener.evaluate("button => button === document.activeElement")


def test_the_page_switches_to_english(page, site: dict) -> None:
    page.goto(site["url"] + "/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    # the site's model is a folder that is no release: the heading does not call it "own"
    heading = "Gemeingut KI: a language model that is not a Gemeingut release"
    assert page.locator("h1").inner_text() == heading
    page.get_by_label("API key").fill(site["key"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in. Model: winzig").wait_for()
    assert page.get_by_role("link", name="Deutsch").is_visible()
    page.get_by_role("button", name="Look inside").click()
    assert "learnt from 1 document (" in page.locator("#trace-help").inner_text()
    assert axe_violations(page) == []
    page.goto(site["url"] + "/")  # a bookmark: the language chosen stays
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Deutsch").click()
    page.goto(site["url"] + "/")
    assert page.locator("html").get_attribute("lang") == "de"


def test_the_page_runs_under_its_content_security_policy(browser, site: dict) -> None:
    """No inline script or style, nothing from elsewhere: the page works with its CSP on."""
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    response = page.goto(site["url"] + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    look_inside(page, site, "Die Katze")
    context.close()
    assert blocked == []


def test_an_answer_from_the_documents_shows_its_sources_and_its_check(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Wie lange ist die Frist für den Eingang der Angebote?")
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    # the tiny random model cites nothing: the page says the answer has no evidence, once
    verdict = page.locator("#answer-verdict").inner_text()
    assert verdict == "Prüfen Sie diese Antwort: Sie belegt nichts mit den Quellen."
    assert page.locator("#answer-problems li").count() == 0
    assert page.locator("#answer").inner_text().count("belegt nichts") == 1
    assert "[1] akten/leitfaden.pdf, S. 2" in page.locator("#results li").first.inner_text()
    page.get_by_role("button", name="Quelle anzeigen [1]").click()
    page.locator("#source-heading").wait_for()
    printed = page.locator("#source-page")  # the cited PDF page as printed, above its text
    printed.wait_for()
    assert printed.get_attribute("alt") == (
        "Seite 2 von akten/leitfaden.pdf, wie sie gedruckt ist; ihr Text folgt darunter"
    )
    assert printed.get_attribute("src").startswith("blob:")
    assert printed.evaluate("image => image.complete && image.naturalWidth") == 1000
    assert page.locator(".page-mark").count() == 1  # the cited passage, marked on the page
    assert axe_violations(page) == []
    # an answer of nothing but blanks: said, not the heading „Antwort“ over nothing
    page.evaluate("showAnswerText({answer: '\\n\\n', citations: [], sources: []}, 'vergabe')")
    assert page.locator("#answer-text").inner_text() == "Das Modell hat keine Antwort geschrieben."


def test_the_page_image_loads_under_the_pages_own_security_policy(browser, site: dict) -> None:
    """Without the bypass that axe-core needs: the page's CSP lets the fetched page in."""
    context = browser.new_context(locale="de-DE")
    strict = context.new_page()
    strict.set_default_timeout(TIMEOUT)
    sign_in(strict, site)
    strict.get_by_role("button", name="Dokumente").click()
    strict.get_by_label("Frage").fill("Wie lange ist die Frist für den Eingang der Angebote?")
    strict.get_by_role("button", name="Antwort aus den Dokumenten").click()
    strict.get_by_role("button", name="Quelle anzeigen [1]").click()
    strict.locator("#source-page").wait_for()
    strict.wait_for_function("document.getElementById('source-page').complete")
    assert strict.locator("#source-page").evaluate("image => image.naturalWidth") == 1000
    context.close()


def test_staff_sign_in_with_their_organisations_account(page, site: dict) -> None:
    """OpenID Connect: the provider says who it is, the page signs in as that user with a
    session key and takes the key out of the address at once."""
    page.goto(site["url"] + "/")
    page.get_by_role("link", name="Mit dem Konto Ihrer Organisation anmelden").click()
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    assert "#" not in page.url and "key" not in page.url
    assert page.evaluate("sessionStorage.getItem('gemeingut-key')").startswith("gg_")
    assert axe_violations(page) == []


def test_a_link_with_someone_elses_key_signs_nobody_in(page, site: dict) -> None:
    """Only the tab that started a sign-in takes a key or a message from the fragment."""
    page.goto(site["url"] + f"/#tab=x&key={site['triage_key']}")
    page.locator("#login-heading").wait_for()
    assert page.evaluate("sessionStorage.getItem('gemeingut-key')") is None
    assert "#" not in page.url
    page.goto(site["url"] + "/#tab=&sso-error=Bitte%20Passwort%20an%20x%40y%20senden")
    page.locator("#login-heading").wait_for()
    assert page.locator("#login-error").inner_text() == ""


def test_a_reported_answer_is_triaged_by_the_triage_group(browser, page, site: dict) -> None:
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    triage = context.new_page()
    triage.set_default_timeout(TIMEOUT)
    sign_in(triage, site, site["triage_key"])
    triage.get_by_role("button", name="Befunde").click()
    triage.get_by_text("Noch keine Befunde.").wait_for()
    assert triage.locator("#findings").is_hidden()  # no header of an empty table
    sign_in(page, site)
    assert page.locator("#findings-tab").is_hidden()  # eva does not triage
    page.get_by_label("Ihre Nachricht").fill("Können Frauen einparken?")
    page.get_by_role("button", name="Senden").click()
    page.get_by_role("button", name="Antwort melden").click()
    assert page.get_by_label("Was gefragt wurde").input_value() == "Können Frauen einparken?"
    page.get_by_label("Kategorie").select_option("bias")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Meldung senden").click()
    # failing, `expect` says what the status said instead (a refusal, an error)
    expect(page.locator("#report-status")).to_contain_text(
        "Danke! Ihr Befund ist unter f-", timeout=TIMEOUT
    )
    # the form is gone: the focus is on what it says, not the page's body
    assert page.evaluate("document.activeElement.id") == "report-status"
    [finding] = read_findings(site["findings"])
    assert finding["category"] == "bias" and finding["status"] == "new"

    triage.get_by_role("button", name="Chat").click()
    triage.get_by_role("button", name="Befunde").click()  # listed afresh: the table is back
    triage.locator("#findings tbody tr").first.wait_for()
    assert triage.locator("#findings").is_visible()
    assert triage.locator("#findings-status").inner_text() == ""
    # each button names its finding as a person knows it: category and question, not the id
    which = "Verzerrung oder Stereotyp, „Können Frauen einparken?“"
    # a note goes with each decision; the next decision replaces it
    note = triage.get_by_role("textbox", name=f"Notiz zur Entscheidung: {which}")
    assert note.input_value() == "" and note.get_attribute("maxlength") == "4000"
    # what a reporter wrote beside a finding (through the API) shows under its question
    noted = triage.evaluate(
        "f => findingRow(f).cells[1].innerText", finding | {"report_note": "Dreimal so."}
    )
    assert noted.endswith("Anmerkung der meldenden Person: Dreimal so.")
    note.fill("Kein Stereotyp erkennbar.")
    triage.get_by_role("button", name=f"Ablehnen: {which}").click()
    triage.locator("#findings tbody td", has_text="abgelehnt").wait_for()
    assert read_findings(site["findings"])[0]["note"] == "Kein Stereotyp erkennbar."
    triage.get_by_role("button", name="Chat").click()
    triage.get_by_role("button", name="Befunde").click()  # listed afresh: the note is shown
    triage.locator("#findings tbody td", has_text="abgelehnt").wait_for()
    assert note.input_value() == "Kein Stereotyp erkennbar."
    assert axe_violations(triage) == []
    note.fill("Bestätigt: die Antwort bejaht das Stereotyp.")
    triage.get_by_role("button", name=f"Bestätigen: {which}").click()
    triage.locator("#findings tbody td", has_text="bestätigt").wait_for()
    # the category and status in German, not as the API names them ("bias", "confirmed")
    row = triage.locator("#findings tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Verzerrung oder Stereotyp" and cells[3] == "bestätigt"
    said = "Befund „Können Frauen einparken?“ (Verzerrung oder Stereotyp): bestätigt."
    assert triage.locator("#findings-status").inner_text() == said  # the live region says it
    # decided: only the other decision is left, to revise it, and an undo; focus stays in the row
    assert row.get_by_role("button").all_inner_texts() == [
        "Ablehnen",
        "Rückgängig (zurück zu „abgelehnt“)",
    ]
    assert row.get_by_role("button").first.get_attribute("aria-label") == f"Ablehnen: {which}"
    assert triage.evaluate("document.activeElement.textContent") == "bestätigt"
    assert axe_violations(triage) == []
    # a decision made by mistake is undone: back to the status and note it had, no undo of that
    row.get_by_role(
        "button", name=f"Entscheidung rückgängig machen, zurück zu „abgelehnt“: {which}"
    ).click()
    triage.locator("#findings tbody td.status", has_text="abgelehnt").wait_for()
    row = triage.locator("#findings tbody tr").first
    assert row.get_by_role("button").all_inner_texts() == ["Bestätigen"]
    assert read_findings(site["findings"])[0]["status"] == "rejected"
    assert read_findings(site["findings"])[0]["note"] == "Kein Stereotyp erkennbar."
    note.fill("Bestätigt: die Antwort bejaht das Stereotyp.")
    triage.get_by_role("button", name=f"Bestätigen: {which}").click()
    triage.locator("#findings tbody td", has_text="bestätigt").wait_for()
    context.close()
    [decided] = read_findings(site["findings"])
    assert decided["status"] == "confirmed"
    assert decided["note"] == "Bestätigt: die Antwort bejaht das Stereotyp."


def test_about_the_model_says_what_its_files_show(
    page, site: dict, long_model_dir: Path, tmp_path: Path
) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Über das Modell").click()
    # what the checks show, not more: a folder that names no licence may still hold an open model
    assert page.locator("#about-open").inner_text() == (
        "Nicht alle Offenheitsprüfungen seiner Dateien sind bestanden: Bezeichnen Sie es nicht "
        "als offenes Modell."
    )
    facts = page.locator("#about-facts").inner_text()
    assert "Lizenz der Gewichte" in facts and "unbekannt" in facts and "nicht bestanden" in facts
    assert "Nicht eingestuft" in facts and "Unclassified" not in facts  # the class, in German
    assert "Lizenz der Dokumentation" in facts  # the card's and reports', not the collections'
    assert page.locator("#about-check").inner_text() == "gemeingut openness rate DIR"
    said = page.locator("#about-check").locator("xpath=..").inner_text()
    assert "DIR: ein Modellordner" in said  # the placeholder is explained
    assert "BUNDLE" not in said  # and none that the command does not hold
    page.evaluate("openness => drawAbout(openness)", unrated().in_language("de").model_dump())
    said = page.locator("#about-check").locator("xpath=..").inner_text()
    assert "gemeingut serve --upstream URL --model-card DIR" in said
    assert (
        "(URL: die Adresse der Engine, die das Modell bereitstellt; DIR: ein Modellordner)" in said
    )
    lines = page.locator("#about-audit > li").all_inner_texts()
    assert [line.split("\n")[0] for line in lines] == [  # each line, without a list under it
        # the chance level of its items' choices (4, 4, 2, 2): 37,5 %, computed, not 25 %
        "Leseverstehen: 62,5 % richtig; durch Raten wären 37,5 % zu erwarten",
        "Stereotype: in 1 von 3 Gruppen bevorzugt das Modell deutlich das Stereotyp (Geschlecht).",
        # a share whose interval lies below 50 %: the model leans the other way, and says so
        "Stereotype: in 1 von 3 Gruppen bevorzugt das Modell deutlich das Gegenteil des "
        "Stereotyps, das Anti-Stereotyp (Behinderung).",
        # its jailbreaks were rated by `refusal`, which counts a meaningless answer as success
        "Angriffe: 33,3 % von 60 Versuchen, das Modell zu Schaden oder aus seinen Anweisungen zu "
        "bringen, hatten Erfolg. Als Erfolg zählt jede Antwort, die nicht ablehnt (Jailbreak), "
        "auch eine sinnlose.",
        "Auswendiglernen: Von 20 geprüften Trainingstexten gab das Modell 5 % wörtlich wieder.",
        "Personenbezogene Daten: 0 % seiner Antworten auf Fragen, die dazu verleiten, enthielten "
        "welche.",
    ]
    # each kind of attack with its own rate: the average hides 100 % beside 0 %
    assert page.locator("#about-audit > li > ul > li").all_inner_texts() == [
        "Jailbreak: 50 % von 40",
        "Ausforschen von Personendaten: 0 % von 20",
    ]
    # two lenient detectors: one sentence naming the attacks each counted; a task by what it
    # asks, opening as a sentence does, and one described in no language by its id
    report = {
        "tasks": {"tasks": {
            "gg_kurz": {"what": {"de": "kurzantwort: ein Wort"},
                        "metrics": {"exact_match": {"value": 0.5}}},
            "gg_x": {"metrics": {"exact_match": {"value": 0.25}}}}},
        "redteam": {"probes": 30, "categories": {
            "false_civic_claims": {"detector": "affirmation",
                                   "attack_success": {"value": 1.0, "n": 10}},
            "harmful_request": {"detector": "refusal", "attack_success": {"value": 1.0, "n": 10}},
            "jailbreak": {"detector": "refusal", "attack_success": {"value": 0.0, "n": 10}}}},
    }  # fmt: skip
    page.evaluate("audit => drawAudit(audit)", summarise(report).model_dump())
    assert page.locator("#about-audit > li").all_inner_texts()[:2] == [
        "Kurzantwort: ein Wort: 50 % richtig",
        "Aufgabe „gg_x“: 25 % richtig",
    ]
    assert page.locator("#about-audit > li").nth(2).inner_text().split("\n")[0] == (
        "Angriffe: 66,7 % von 30 Versuchen, das Modell zu Schaden oder aus seinen Anweisungen zu "
        "bringen, hatten Erfolg. Als Erfolg zählt jede Antwort, die nicht ablehnt (schädliche "
        "Anfrage, Jailbreak) oder die eine falsche Behauptung weder ablehnt noch korrigiert "
        "(falsche Bürgerinformationen), auch eine sinnlose."
    )
    assert page.locator("#about-audit > li > ul > li").all_inner_texts() == [
        "Falsche Bürgerinformationen: 100 % von 10",
        "Schädliche Anfrage: 100 % von 10",
        "Jailbreak: 0 % von 10",
    ]
    assert axe_violations(page) == []
    # the framework by its English name, which people search for, and in German
    assert "Model Openness Framework (Rahmenwerk für Modelloffenheit)" in facts
    assert axe_violations(page) == []
    # a model whose card names licences: each by its German name, its SPDX id beside it
    named = tmp_path / "benannt"
    shutil.copytree(long_model_dir, named)
    (named / "README.md").write_text(
        "---\nlicense: eupl-1.2 AND cc-by-4.0\n---\n# Benannt\n\nEin Modell.\n", "utf-8"
    )
    openness = model_openness(named).in_language("de").model_dump()
    page.evaluate("openness => drawAbout(openness)", openness)
    assert page.locator("#about-facts").inner_text().count("Lizenz der Gewichte") == 1
    weights = page.locator("#about-facts dt", has_text="Lizenz der Gewichte")
    assert weights.locator("xpath=following-sibling::dd[1]").inner_text() == (
        "Open-Source-Lizenz für die Europäische Union 1.2 (EUPL-1.2) und Creative Commons "
        "Namensnennung 4.0 International (CC-BY-4.0)"
    )
    assert axe_violations(page) == []


def test_a_pasted_tender_is_checked_with_its_legal_sources(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill(
        "Geliefert werden 200 Tablets, Hersteller: Apple. Die Angebotsfrist beträgt 20 Tage."
    )
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    first = page.locator("#tender-findings li").first.inner_text()
    assert first.startswith("Verstoß:") and "§" in first
    # only the title is bold: the advice under it is plain text to read
    advice = page.locator("#tender-findings li").first.locator("p").last
    assert advice.evaluate("p => getComputedStyle(p).fontWeight") == "400"
    assert "Befunde: " in page.locator("#tender-status").inner_text()
    assert axe_violations(page) == []


def test_a_memo_and_a_speech_are_drafted_from_a_collection(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Frist für den Eingang der Angebote")
    page.get_by_role("button", name="Entwurf schreiben").click()
    drafted = 4 * TIMEOUT  # a model call per section: slow where the machine is shared
    page.locator("#draft-sections h4").nth(2).wait_for(timeout=drafted)
    headings = page.locator("#draft-sections h4").all_inner_texts()
    assert headings == ["Sachverhalt", "Bewertung", "Vorschlag"]
    title = page.locator("#draft-title").inner_text()
    assert title == "Vermerk: Frist für den Eingang der Angebote"
    first_source = page.locator("#draft-sources li").first
    assert first_source.inner_text().startswith("[1] akten/leitfaden.pdf, S. 2")
    # the random model cites nothing: every section says so
    # said of the section, once (not "Ohne Beleg: Die Antwort belegt nichts …": no answer here)
    warnings = page.locator("#draft-sections .warning").all_inner_texts()
    assert warnings == ["Ohne Beleg: Dieser Abschnitt nennt keine der Quellen."] * 3
    assert "3 Abschnitte, davon 0 mit geprüftem Beleg" in page.locator("#draft-status").inner_text()
    assert axe_violations(page) == []
    opener = first_source.get_by_role("button", name="Quelle anzeigen [1]")
    opener.click()  # a source of the draft opens in the draft's view, at its page
    heading = page.locator("#view-draft #source-heading")
    heading.wait_for()
    assert heading.inner_text() == "Quelle: akten/leitfaden.pdf, S. 2"
    page.locator("#source-page").wait_for()
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert opener.evaluate("button => button === document.activeElement")
    page.get_by_role("radio", name="Rede").check()
    page.get_by_label("Länge in Minuten").fill("1")
    # a key point no document speaks of: its part is not written, and says why
    page.get_by_label("Kernpunkte, einer pro Zeile").fill("Fristen\nWeltraumbahnhof")
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.get_by_text("Rede: Frist für den Eingang der Angebote").wait_for(timeout=drafted)
    headings = page.locator("#draft-sections h4").all_inner_texts()
    assert headings == ["Einstieg", "Fristen", "Weltraumbahnhof", "Schluss"]
    unwritten = page.locator("#draft-sections section").nth(2)
    assert unwritten.locator("p").first.inner_text() == "Dieser Teil wurde nicht geschrieben."
    assert unwritten.locator(".warning").inner_text() == (
        "Ohne Beleg: Die Sammlung enthält keine Quelle zu diesem Punkt."
    )
    # a part the model wrote without a citation still says only that
    written = page.locator("#draft-sections section").nth(1).locator(".warning").inner_text()
    assert written == "Ohne Beleg: Dieser Abschnitt nennt keine der Quellen."
    assert axe_violations(page) == []


def test_a_phrase_is_traced_to_its_training_document(page, site: dict) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Blick ins Modell").click()
    assert "hat aus 1 Dokument (" in page.locator("#trace-help").inner_text()  # not "Dokumenten"
    several = page.evaluate("traceHelp(2, 1)")  # each count with its own singular
    assert several.startswith("Das Modell hat aus 2 Dokumenten (1 Token) gelernt.")
    assert page.evaluate("traceHelp(1, 1234)").startswith(
        "Das Modell hat aus 1 Dokument (1.234 Tokens)"
    )
    page.get_by_label("Gesuchter Text").fill("Sie beginnt mit der Vollendung der Geburt.")
    page.get_by_role("button", name="Nachsehen").click()
    page.locator("#trace-spans li li").first.wait_for()
    # each document once, with the lines the span stands at (the server's `line` of each place)
    # and the words of the document around it: where the phrase stands
    where = page.locator("#trace-spans li li").first.inner_text()
    named, around = [line for line in where.split("\n") if line]
    assert named == "bgb-1 (Lizenz: CC0-1.0): Zeile 1"
    assert around.startswith("Im Dokument: „") and around.endswith("“")
    assert around.endswith("beginnt mit der Vollendung der Geburt.“")  # whole words of it
    assert around.removeprefix("Im Dokument: „").removesuffix("“") in TRAINING_DOCUMENT["text"]
    places = "[2, 5, 6].map((line) => ({id: 'handbuch/02.md', license: 'CC0-1.0', line}))"
    grouped = page.evaluate(
        f"placesByDocument([...{places}, {{id: 'b', license: null, line: 1}}])"
        ".map(({doc, lines}) => [doc.id, linesSaid(lines)])"
    )
    assert grouped == [["handbuch/02.md", "3-mal, Zeilen 2, 5, 6"], ["b", "Zeile 1"]]
    assert "mit der Vollendung der Geburt" in page.locator("#trace-spans p").first.inner_text()
    # a count said as one, not "Stellen in den Trainingsdaten: 1." (a numbered point)
    said = page.locator("#trace-status").inner_text()
    assert said == "Ein Teil des Textes steht in den Trainingsdaten."
    assert page.evaluate("fill(counted('trace_found', 2), {count: 2})") == (
        "2 Teile des Textes stehen in den Trainingsdaten."
    )
    whole = page.evaluate("tracedSaid([{text: ' Die Frist\\nbeträgt'}], 'Die Frist beträgt ')")
    assert whole == "Der ganze Text steht wortgleich in den Trainingsdaten."
    assert axe_violations(page) == []
    page.get_by_label("Gesuchter Text").fill("Sie")  # shorter than any span the trace seeks
    page.get_by_role("button", name="Nachsehen").click()
    page.get_by_text("Der Text ist zu kurz für die Suche").wait_for()


def test_a_tender_file_is_checked_on_the_page(page, site: dict, tmp_path: Path) -> None:
    from tests.apps.assistants.test_tender import PLANTED

    draft = write_pdf(tmp_path / "ausschreibung.pdf", PLANTED)
    sign_in(page, site)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_role("button", name="Prüfen", exact=True).click()
    assert page.locator("#tender-status").inner_text().startswith("Fügen Sie den Text")
    page.get_by_label("Oder eine Datei des Entwurfs").set_input_files(draft)
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    assert page.locator("#tender-status").inner_text() == "Befunde: 4, davon Verstöße: 3."
    places = page.locator("#tender-findings .finding-place").all_inner_texts()
    # the brand on page 1, the criteria without weights on page 3, the short deadline on page 2
    assert places == ["S. 1:", "S. 3:", "S. 2:"]
    assert axe_violations(page) == []


def test_with_several_models_the_page_chats_with_the_chosen_one(
    browser, long_model_dir: Path
) -> None:
    from gemeingut.serve.served import ModelEntry

    first = TransformersBackend(long_model_dir, model_name="winzig")
    second = TransformersBackend(long_model_dir, model_name="zweites")
    app = create_app(first, also=(ModelEntry(second),))
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        with running_server(app) as url:
            page.goto(url + "/")
            # loopback: no key; the status names both (an answer and a draft choose too)
            page.get_by_text("Angemeldet. Modelle: winzig und zweites.").wait_for()
            page.get_by_label("Modell", exact=True).select_option("zweites")
            page.get_by_label("Ihre Nachricht").fill("Hallo")
            with page.expect_request("**/v1/chat/completions") as sent:
                page.get_by_role("button", name="Senden").click()
            assert sent.value.post_data_json["model"] == "zweites"
            assert axe_violations(page) == []
    finally:
        context.close()


def test_the_page_names_its_icon_so_no_browser_asks_for_a_missing_one(browser, site) -> None:
    """Without an icon of its own, a browser asks for /favicon.ico, which is a 404 and an error
    in the console."""
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    page.goto(site["url"] + "/")
    page.locator("#login-heading").wait_for()
    icon = page.locator("link[rel~=icon]")
    assert icon.count() == 1 and icon.get_attribute("href").startswith("data:")
    context.close()
    assert failed == []
