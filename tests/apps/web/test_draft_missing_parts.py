"""A memo on the page under a requests-per-minute limit smaller than its sections. Before, the
server answered the whole draft with the 429 of the section the limit refused: the page showed
only the limit's message, the sections written were lost, and writing again never helped.
Now the page keeps the sections written, says why the others are not, and offers to write the
missing parts once the limit's Retry-After has passed, counting down beside the button and
saying it (politely) when the wait begins and ends; the button completes the draft.

A limit of 1 a minute refuses a section in every minute the draft takes (see
tests/apps/assistants/test_draft_missing_sections.py). The page's clock is Playwright's, moved
on past the server's Retry-After instead of waiting it out; the limit is lifted then, as the
minute's end would lift it. Real HTTP, a real SQLite gateway, the tiny model, Debian's chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.office_server import office_server
from tests.apps.web.conftest import axe_violations, sign_in

NOT_WRITTEN = "Dieser Teil wurde nicht geschrieben."
REFUSED = (
    "Nicht geschrieben: die Grenze „Anfragen pro Minute“ von Person lina: die 1 Anfrage pro "
    "Minute ist aufgebraucht; warten Sie bis "  # the next minute's start
)


@pytest.fixture(scope="module")
def site(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An office whose one person may ask the model once a minute (the `page` fixture's site)."""
    root = tmp_path_factory.mktemp("limits")
    with office_server(long_model_dir, root, users=("lina",)) as served:
        set_limits(served.store, "user", "lina", requests_per_minute=1)
        key_id, key = served.keys["lina"]
        yield {"url": served.url, "key": key, "key_id": key_id, "engine": served.store}


def _statuses(site: dict) -> list[int]:
    """The statuses of the drafts' records: one for each section the model was asked."""
    records = export(site["engine"], key_id=site["key_id"])
    return [r["status"] for r in records if r["route"] == "/v1/assist/draft"]


def write_memo(page) -> dict:
    """A memo drafted on the page, shown: the server's draft."""
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Pauschale für mobiles Arbeiten")
    with page.expect_response("**/v1/assist/draft") as answered:
        page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-title").wait_for()
    return answered.value.json()


def _shown(page) -> list[str]:
    """Each part's text as the page shows it (its whitespace as a browser lays it out)."""
    return [
        " ".join(p.split())
        for p in page.locator("#draft-sections section > p:first-of-type").all_inner_texts()
    ]


def _status(page) -> str:
    return page.locator("#draft-status").inner_text()


def test_a_draft_cut_short_by_a_limit_keeps_its_parts_and_the_button_completes_it(
    page, site: dict
) -> None:
    page.clock.install()  # the page's timers run on a clock the test moves on
    sign_in(page, site)
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # it moves no more on its own
    draft = write_memo(page)  # before: the 429, and the page showed nothing but it
    written = len(_statuses(site)) - 1  # the sections written, then the refusal
    assert written in (1, 2) and _statuses(site) == [200] * written + [429]
    count = 3 - written
    kept = _shown(page)
    assert kept[:written] == [" ".join(s["text"].split()) for s in draft["sections"][:written]]
    assert kept[written:] == [NOT_WRITTEN] * count
    for missing in page.locator("#draft-sections section").all()[written:]:
        assert missing.locator(".warning").inner_text().startswith(REFUSED)  # the limit's words
    button = page.get_by_role("button", name="Fehlende Teile schreiben")
    assert button.get_attribute("aria-disabled") == "true"  # focusable, not usable yet
    seconds = draft["retry_after"]
    assert page.locator("#draft-wait").inner_text() == f"Möglich in {seconds} s."
    # said once (the status is a polite live region), with the time the wait ends
    begun = _status(page)
    assert page.locator("#draft-status").get_attribute("role") == "status"
    said = "1 Teil ist noch nicht" if count == 1 else f"{count} Teile sind noch nicht"
    pronoun = "ihn" if count == 1 else "sie"
    assert f"{said} geschrieben; Sie können {pronoun} ab " in begun
    assert begun.endswith(" Uhr schreiben.")
    button.focus()
    page.keyboard.press("Enter")  # too early: nothing is asked
    page.clock.fast_forward(1000)  # a second on: counted down beside the button, not said
    assert page.locator("#draft-wait").inner_text() == f"Möglich in {seconds - 1} s."
    assert _status(page) == begun
    assert _statuses(site) == [200] * written + [429]
    page.clock.resume()  # axe-core waits on timers of its own
    assert axe_violations(page) == []

    set_limits(site["engine"], "user", "lina", requests_per_minute=None)  # the minute is over
    page.clock.fast_forward(seconds * 1000)
    assert button.get_attribute("aria-disabled") is None  # usable now
    assert page.locator("#draft-wait").inner_text() == ""
    assert _status(page).endswith(f"{said} geschrieben; Sie können {pronoun} jetzt schreiben.")
    button.focus()
    with page.expect_response("**/v1/assist/draft") as completed:
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")  # pressed twice while it writes: asked once
    whole = completed.value.json()
    page.wait_for_load_state("networkidle")  # a second request would have ended by now
    page.locator("#draft-missing").wait_for(state="hidden")
    assert whole["missing"] == []
    assert [s["id"] for s in whole["sections"]] == [s["id"] for s in draft["sections"]]
    # only the missing parts were asked for; the parts written stand as they were shown
    assert _statuses(site) == [200] * written + [429] + [200] * count
    shown = _shown(page)
    assert shown[:written] == kept[:written] and NOT_WRITTEN not in shown
    assert page.evaluate("document.activeElement.id") == "draft-title"
    assert axe_violations(page) == []
