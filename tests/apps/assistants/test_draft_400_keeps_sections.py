"""A memo whose later section's model call is refused with a 400 (its prompt longer than the
engine's context). Before, the draft route kept the sections written only where a limit (429),
a full queue (503) or a failed engine (502) refused the next one: a 400 mid-draft answered the
whole draft with that 400, and the section written was lost, on the page too (it showed the
refusal and no draft). Now it is answered as those are (and as `assist vermerk` keeps a draft
cut short): a 200 with the section written, the rest saying they are not written and why,
`missing` naming them and `retry_after` null (waiting does not help); asked for again
(`sections`, `given`), they complete the draft. A 400 of the first section stays the 400.
Real HTTP on loopback: an engine of its own (an OpenAI-compatible server that answers a chat
while told to and refuses the next ones as too long) behind the real draft route; the page in
Debian's chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.responses import JSONResponse

from tests.apps.assistants import draft_engine
from tests.apps.assistants.draft_engine import DRAFT, WRITTEN, drafting
from tests.apps.web.conftest import TIMEOUT, axe_violations, browser

__all__ = ["browser"]  # the fixture, used by name

SECTIONS = ["sachverhalt", "bewertung", "vorschlag"]
TOO_LONG = "This model's maximum context length is 4096 tokens; the prompt has 5120"
REFUSED = f"Nicht geschrieben: die Engine hat die Anfrage abgelehnt: {TOO_LONG}"
NOT_WRITTEN = "Dieser Teil wurde nicht geschrieben."


class Engine(draft_engine.Engine):
    """Answers `answers` chats with `WRITTEN`, then refuses each with a 400 (too long)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers = 1

    def refusal(self) -> JSONResponse | None:
        if self.answers <= 0:
            error = {"message": TOO_LONG, "type": "invalid_request_error"}
            return JSONResponse({"error": error}, 400)
        self.answers -= 1
        return None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with drafting(tmp_path, Engine()) as served:
        yield served


def _draft(url: str, **more) -> httpx.Response:
    return httpx.post(f"{url}/v1/assist/draft", json=DRAFT | more, timeout=60)


def test_a_400_after_the_first_section_keeps_the_section_written(
    served: tuple[str, Engine],
) -> None:
    url, engine = served
    cut = _draft(url)
    assert cut.status_code == 200, cut.text  # before: the 400, and the section written lost
    draft = cut.json()
    assert [s["id"] for s in draft["sections"]] == SECTIONS
    first, *rest = draft["sections"]
    assert first["asked_model"] and first["text"] == WRITTEN
    assert draft["missing"] == ["bewertung", "vorschlag"]
    assert draft["retry_after"] is None  # asking again as it is would not help: no wait
    for section in rest:
        assert not section["asked_model"] and section["text"] == NOT_WRITTEN
        assert section["problems"] == [REFUSED] and section["allowance_tokens"] is None
    assert engine.chats == 2  # the refusal ends the writing: the last section is not asked
    assert f"> {REFUSED}" in draft["markdown"]

    engine.answers = 2  # the engine takes them now (say, its context was raised)
    given = [{"id": first["id"], "text": first["text"]}]
    whole = _draft(url, sections=draft["missing"], given=given)
    assert whole.status_code == 200, whole.text
    done = whole.json()
    assert done["missing"] == [] and [s["text"] for s in done["sections"]] == [WRITTEN] * 3


def test_a_400_of_the_first_section_to_write_stays_the_400(served: tuple[str, Engine]) -> None:
    url, engine = served
    engine.answers = 0
    given = [{"id": "sachverhalt", "text": WRITTEN}]
    for more in ({}, {"given": given}):  # nothing written in this request: nothing to keep
        refused = _draft(url, **more)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["message"] == REFUSED.removeprefix("Nicht geschrieben: ")


def test_the_page_keeps_the_section_written_and_writes_the_rest(
    browser, served: tuple[str, Engine]
) -> None:
    url, engine = served
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url + "/")  # a server without accounts: signed in at once
    page.get_by_text("Angemeldet. Modell: engine").wait_for()
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill(DRAFT["subject"])
    with page.expect_response("**/v1/assist/draft"):
        page.get_by_role("button", name="Entwurf schreiben").click()
    status = page.locator("#draft-status")
    page.wait_for_function("!document.getElementById('draft-status').textContent.endsWith('…')")
    # before: "Nicht möglich: …" and no draft
    assert page.locator("#draft").is_visible(), status.inner_text()
    parts = page.locator("#draft-sections section")
    shown = [" ".join(t.split()) for t in parts.locator("p:first-of-type").all_inner_texts()]
    assert shown == [WRITTEN, NOT_WRITTEN, NOT_WRITTEN]
    assert [parts.nth(n).locator(".warning").inner_text() for n in (1, 2)] == [REFUSED] * 2
    # the status a sentence (before: "3 Abschnitte, davon 0 mit geprüftem Beleg" without one)
    assert status.inner_text() == (
        "3 Abschnitte, davon 0 mit geprüftem Beleg. 2 Teile sind noch nicht geschrieben; Sie "
        "können sie jetzt schreiben."
    )
    button = page.get_by_role("button", name="Fehlende Teile schreiben")
    assert button.get_attribute("aria-disabled") is None  # no wait: waiting would not help
    assert axe_violations(page) == []

    engine.answers = 2
    with page.expect_response("**/v1/assist/draft"):
        button.click()
    page.locator("#draft-missing").wait_for(state="hidden")
    shown = [" ".join(t.split()) for t in parts.locator("p:first-of-type").all_inner_texts()]
    assert shown == [WRITTEN] * 3
    context.close()
