"""What a clerk and a teacher met on the page, in a real browser (Debian's chromium, axe):
a tender file is checked against the largest file the server takes (its body limit less the
base64 and the JSON around it) before it is read and sent, with the file's name and that
limit; the server's own refusal speaks of the file, not of "less text". The question's field
takes no more than the server does, and a refusal names a field as the page labels it, not by
its name in the API. The look inside keeps its bars and its logit lens across the language
switch, drawn again in the other language without asking the model again."""

from __future__ import annotations

import httpx

from gemeingut.serve.file_in_json import file_max_bytes
from gemeingut.serve.limits import DEFAULT_MAX_BODY_BYTES
from tests.apps.web.conftest import axe_violations, look_inside, sign_in

LIMIT = file_max_bytes(DEFAULT_MAX_BODY_BYTES)  # 2,9 MiB of a 4 MiB body


def test_a_tender_file_over_the_limit_is_refused_on_the_page_by_name(page, site: dict) -> None:
    sign_in(page, site)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/assist/tender" in r.url else None)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    assert page.locator("#tender-file-help").inner_text() == "Eine Datei bis 2,9 MiB."
    big = {"name": "bauplan.pdf", "mimeType": "application/pdf", "buffer": b"%" * (LIMIT + 1)}
    page.get_by_label("Oder eine Datei des Entwurfs").set_input_files(big)
    page.get_by_role("button", name="Prüfen", exact=True).click()
    status = page.locator("#tender-status")
    status.filter(has_text="bauplan.pdf").wait_for()
    assert "„bauplan.pdf“ ist größer, als der Server annimmt (2,9 MiB)" in status.inner_text()
    assert sent == []  # not read, not sent
    assert axe_violations(page) == []


def test_the_servers_refusal_of_a_tender_file_speaks_of_the_file(site: dict) -> None:
    body = b'{"file": {"name": "bauplan.pdf", "data": "' + b"A" * DEFAULT_MAX_BODY_BYTES + b'"}}'
    refused = httpx.post(
        site["url"] + "/v1/assist/tender",
        content=body,
        headers={"Authorization": f"Bearer {site['key']}", "Content-Type": "application/json"},
    )
    assert refused.status_code == 413, refused.text
    said = refused.json()["error"]["message"]
    assert said == "Die Datei ist größer, als dieser Server annimmt (2,9 MiB)", said


def test_the_question_takes_what_the_server_takes_and_a_refusal_names_it_as_labelled(
    page, site: dict
) -> None:
    sign_in(page, site)
    page.get_by_role("button", name="Dokumente").click()
    question = page.get_by_label("Frage", exact=True)
    assert question.get_attribute("maxlength") == "4000"
    for field in ("subject", "audience", "occasion"):
        assert page.locator(f"#draft-{field}").get_attribute("maxlength"), field
    # a page whose field took more (as an older page did): the server's refusal, in its words
    question.evaluate("field => field.removeAttribute('maxlength')")
    question.fill("Frist " * 700)
    page.get_by_role("button", name="Suchen").click()
    status = page.locator("#documents-status")
    status.filter(has_text="Nicht möglich").wait_for()
    assert status.inner_text().startswith("Nicht möglich: Frage: "), status.inner_text()
    assert "query" not in status.inner_text()
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    status.filter(has_text="Frage: ").wait_for()
    assert "question" not in status.inner_text(), status.inner_text()


def test_the_look_inside_keeps_its_bars_and_lens_across_the_language_switch(
    page, site: dict
) -> None:
    look_inside(page, site, "Die Katze sieht")
    rows = page.locator("#lens tbody tr")
    rows.first.wait_for()
    german = page.locator("#next li label").all_inner_texts()
    lens = rows.all_inner_texts()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/completions" in r.url else None)
    page.on("request", lambda r: asked.append(r.url) if "/v1/lens" in r.url else None)
    page.get_by_role("link", name="English").click()
    page.get_by_text("Signed in.").wait_for()
    page.locator("#next li").first.wait_for()
    english = page.locator("#next li label").all_inner_texts()
    assert len(english) == len(german) and english[-1].startswith("other tokens"), english
    # the same shares, written in English (a decimal point)
    assert [t.rsplit(" ", 2)[-2] for t in english[:-1]] == [
        t.rsplit(" ", 2)[-2].replace(",", ".") for t in german[:-1]
    ]
    assert rows.all_inner_texts() == [row.replace(",", ".") for row in lens]
    assert page.locator("#tokens li").count() > 1
    assert asked == []  # drawn again, the model not asked again
    assert axe_violations(page) == []
