"""Bidirectional control characters in text of other people: a finding reported with a
right-to-left override (U+202E) showed in the triage table as „Test live (1)trela<tpircs>…“
where „Test evil <script>alert(1)</script>“ was stored, so a reporter could make what a triager
reads differ from what was stored. Now such text stands in an element of its own (<bdi>), the
override is shown as ⟨U+202E⟩ and the text reads in the order stored; a document's name
likewise does not reorder the list it is in. A real browser (conftest.py's site), the finding
and the document given over real HTTP."""

from __future__ import annotations

import httpx

from tests.apps.web.conftest import sign_in

PROMPT = "Test \u202e evil <script>alert(1)</script>"
SHOWN = "Test ⟨U+202E⟩ evil <script>alert(1)</script>"
NAME = "Bericht\u202egnp.md"  # shown by the override as „Berichtdm.png“

# Where `first` and `then` (after it in the text) begin on the screen, in the first element
# matching `selector` whose text holds both: the page lays out its text, innerText does not.
PLACES = """([selector, first, then]) => {
  for (const element of document.querySelectorAll(selector)) {
    const nodes = [];
    const walk = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) nodes.push(node);
    const whole = nodes.map((node) => node.data).join("");
    const starts = [whole.indexOf(first), whole.indexOf(then, whole.indexOf(first) + 1)];
    if (starts.some((i) => i < 0)) continue;
    return starts.map((at, n) => {
      const length = [first, then][n].length;
      let node = 0;
      while (at >= nodes[node].data.length) at -= nodes[node++].data.length;
      const range = document.createRange();
      range.setStart(nodes[node], at);
      range.setEnd(nodes[node], Math.min(at + length, nodes[node].data.length));
      return range.getBoundingClientRect().left;
    });
  }
  return null;
}"""


def _post(site: dict, path: str, **kwargs) -> httpx.Response:
    headers = {"authorization": f"Bearer {site['key']}"} | kwargs.pop("headers", {})
    answer = httpx.post(f"{site['url']}{path}", headers=headers, timeout=60, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer


def test_an_override_in_a_finding_is_shown_and_read_in_the_order_stored(page, site) -> None:
    found = {"category": "bias", "prompt": PROMPT, "response": "Nein.", "note": "\u2067x"}
    _post(site, "/v1/findings", json=found)
    sign_in(page, site, site["triage_key"])
    page.get_by_role("button", name="Befunde").click()
    row = page.locator("#findings tbody tr", has_text="evil")
    row.wait_for()
    prompt = row.locator("td").nth(1).locator("bdi").first
    assert prompt.inner_text() == SHOWN  # before: the override itself, unseen
    assert "\u202e" not in row.inner_text() and "\u2067" not in row.inner_text()
    assert "⟨U+2067⟩x" in row.locator("td").nth(1).locator("p").inner_text()  # the note
    alert, one = page.evaluate(PLACES, ["#findings td bdi", "alert", "(1)"])
    assert alert < one  # before: „(1)trela“
    button = row.get_by_role("button", name="Bestätigen")
    assert "⟨U+202E⟩" in (button.get_attribute("aria-label") or "")
    button.click()
    status = page.locator("#findings-status")
    status.filter(has_text="evil").wait_for()
    assert "⟨U+202E⟩" in status.inner_text() and "\u202e" not in status.inner_text()


def test_an_override_in_a_document_name_does_not_reorder_the_list(page, site) -> None:
    note = "Die Förderung von Musikschulen beträgt höchstens 5000 Euro im Jahr.\n"
    _post(
        site,
        "/v1/collections/vergabe/documents",
        params={"filename": NAME},
        content=note.encode(),
        headers={"content-type": "application/octet-stream"},
    )
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    item = page.locator("#held-list li", has_text="Bericht")
    item.wait_for()
    assert item.locator("bdi").inner_text() == "Bericht⟨U+202E⟩gnp.md"
    assert item.inner_text().startswith("Bericht⟨U+202E⟩gnp.md: 1 ")
    name, count = page.evaluate(PLACES, ["#held-list li", "gnp", ": 1"])
    assert name < count  # before: „Bericht elletS 1 :dm.png“, the count left of the name
