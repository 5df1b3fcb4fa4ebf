"""A draft on the page outlives a reload of its tab, and no sign-out. Before, a memo shown on
the draft view (`#draft`) was gone when the tab was reloaded: its sections, what it was asked
for, and its parts a limit refused (`missing`), which can only be asked for with the sections
written handed back. Now the page keeps the last draft in the tab's session storage (never in
the local storage: a draft may be confidential) and shows it again after a reload, with its
request in the form; signing out forgets it. The site of conftest.py, in Debian's chromium,
Eva under a limit of one request a minute, so that the draft has missing parts (the first
section is written, a later one refused: see tests/apps/assistants/test_draft_missing_sections.py).
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.serve.gateway.identity import create_key, revoke_key
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.web.conftest import axe_violations, sign_in

SUBJECT = "Fristen für den Eingang der Angebote"
KEPT = "sessionStorage.getItem('gemeingut-draft')"


def _shown(page) -> dict:
    """The draft as the page shows it: title, each part's heading, text and note, the sources,
    whether the missing parts are offered, and the request in the form."""
    return page.evaluate(
        """() => ({
          title: document.getElementById('draft-title').textContent,
          parts: [...document.querySelectorAll('#draft-sections section')].map((p) => p.innerText),
          sources: document.getElementById('draft-sources').innerText,
          missing: !document.getElementById('draft-missing').hidden,
          subject: document.getElementById('draft-subject').value,
          memo: document.getElementById('draft-vermerk').checked,
        })"""
    )


def _drafted_with_a_new_key(page, site: dict) -> tuple[str, str, str]:
    """Eva signed in with a key of her own (the test may revoke it), a memo drafted on the
    page: the key's id, the key, and the draft as the tab keeps it."""
    key_id, key = create_key(site["engine"], "eva")
    sign_in(page, site, key)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill(SUBJECT)
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-title").wait_for()
    kept = page.evaluate(KEPT)
    assert kept is not None
    return key_id, key, kept


def _taken_out(page, site: dict, markdown: str) -> None:
    """The draft shown leaves the page as the server's Markdown, with its sources listed: to
    the clipboard and as a file named by its title; each button named for screen readers."""
    assert "\n## Quellen\n\n[1] " in markdown
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site["url"])
    page.get_by_role("button", name="Entwurf als Markdown kopieren").click()
    page.get_by_text("Der Entwurf wurde als Markdown kopiert.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == markdown
    with page.expect_download() as downloading:
        page.get_by_role(
            "button", name="Entwurf mit Quellen als Markdown-Datei herunterladen"
        ).click()
    saved = downloading.value
    assert saved.suggested_filename == f"Vermerk: {SUBJECT}.md".replace(":", " ").replace("  ", " ")
    assert Path(saved.path()).read_text(encoding="utf-8") == markdown
    assert axe_violations(page) == []
    # a part of nothing but blanks (the model wrote only newlines) says so
    page.evaluate(
        "() => { const {body, draft} = drafted; draft.sections[0].text = '\\n\\n';"
        " showDraft(body, draft, 0, false); }"
    )
    first = page.locator("#draft-sections section p").first
    assert first.inner_text() == "Das Modell hat keine Antwort geschrieben."


def test_a_draft_is_shown_again_after_a_reload_and_forgotten_on_signing_out(
    page, site: dict
) -> None:
    set_limits(site["engine"], "user", "eva", requests_per_minute=1)
    try:
        sign_in(page, site)
        page.get_by_role("button", name="Vermerk oder Rede").click()
        page.get_by_label("Thema").fill(SUBJECT)
        with page.expect_response("**/v1/assist/draft") as answered:
            page.get_by_role("button", name="Entwurf schreiben").click()
        draft = answered.value.json()
        page.locator("#draft-title").wait_for()
        before = _shown(page)
        assert draft["missing"] and before["missing"]  # a limit refused some of its parts
        assert before["subject"] == SUBJECT and before["memo"]

        page.reload()  # the address is the draft view's (#draft)
        page.locator("#draft-title").wait_for()  # before: no draft, an empty form
        assert page.url.endswith("#draft")
        assert _shown(page) == before
        assert page.evaluate("localStorage.length") == 0  # only the tab's session storage
        _taken_out(page, site, draft["markdown"])
    finally:
        set_limits(site["engine"], "user", "eva", requests_per_minute=None)

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("API-Schlüssel").wait_for()
    assert page.evaluate(KEPT) is None
    sign_in(page, site)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    assert page.locator("#draft").is_hidden()
    assert page.get_by_label("Thema").input_value() == ""


def test_a_kept_draft_is_its_keys_alone_and_gone_with_a_revoked_key(page, site: dict) -> None:
    """Another key signed in in the same tab (without signing out) is not shown the draft the
    tab kept, and drops it; a key revoked while the draft is shown signs out and takes it."""
    key_id, key, kept = _drafted_with_a_new_key(page, site)

    page.evaluate("(key) => sessionStorage.setItem('gemeingut-key', key)", site["triage_key"])
    page.reload()  # Tom, in Eva's tab
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    assert page.evaluate(KEPT) is None
    assert page.locator("#draft").is_hidden()
    assert page.get_by_label("Thema").input_value() == ""

    page.evaluate(
        "([key, kept]) => { sessionStorage.setItem('gemeingut-key', key);"
        " sessionStorage.setItem('gemeingut-draft', kept); }",
        [key, kept],
    )
    page.reload()  # Eva again: her draft is hers
    page.locator("#draft-title").wait_for()
    assert page.get_by_label("Thema").input_value() == SUBJECT

    revoke_key(site["engine"], key_id)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist")
    page.get_by_role("button", name="Suchen").click()  # a 401
    page.get_by_role("alert").get_by_text("Sie wurden abgemeldet").wait_for()
    assert page.evaluate(KEPT) is None


def test_a_kept_draft_outlives_a_sign_in_that_did_not_reach_the_server(page, site: dict) -> None:
    """The server out of reach for the sign-in after a reload (the request for the models
    fails in the network) is no refusal of the key: the page says so in German, keeps the draft
    and the key in the form, and a second sign-in shows the draft again. Before, any failed
    sign-in dropped it. A key the server refuses (401, revoked meanwhile) still takes it."""
    key_id, key, kept = _drafted_with_a_new_key(page, site)

    page.route("**/v1/models", lambda route: route.abort("internetdisconnected"), times=1)
    page.reload()
    alert = page.get_by_role("alert").get_by_text("Der Server war nicht erreichbar")
    alert.wait_for()
    assert page.get_by_label("API-Schlüssel").is_visible()
    assert page.evaluate(KEPT) == kept
    assert page.get_by_label("API-Schlüssel").input_value() == key  # to try again as it is

    page.get_by_role("button", name="Anmelden").click()  # the server answers again
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()
    page.locator("#draft-title").wait_for()
    assert page.url.endswith("#draft")
    assert page.get_by_label("Thema").input_value() == SUBJECT
    assert page.evaluate(KEPT) is not None

    revoke_key(site["engine"], key_id)
    page.reload()  # the server refuses the kept key: the draft goes with it
    page.get_by_label("API-Schlüssel").wait_for()
    assert page.evaluate(KEPT) is None
