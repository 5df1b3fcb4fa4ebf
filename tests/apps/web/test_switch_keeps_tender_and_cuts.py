"""The language switch keeps a tender check, said in the language switched to: the page hands
the draft it checked (text or file) to the page in the other language, which checks it again
(rule-based: no model is asked); before, the findings were gone. A pasted draft is carried
once, with the typed fields; a checked file is named after the switch (its field is empty
then); where the tab's storage cannot take the file, the page in the other language says that
the check was not carried, and where it takes nothing, the language switches all the same. A
question longer than the collection's embedding model reads, and an uploaded document whose
chunks are, are said to be cut on the page, in the page's language; after the switch the
search's note is said again from its numbers, without searching again. Debian's chromium, axe
on each view, a server on loopback with an encoder (24 tokens) beside the writing model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.assistants.citations import cited_source
from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.apps.assistants.test_tender import PLANTED
from tests.apps.rag.documents import write_pdf
from tests.apps.rag.test_remote_context_fit import LONG, QUESTION, SHORT
from tests.apps.web.citing import signed_in_page
from tests.apps.web.conftest import axe_violations
from tests.apps.web.uploading import uploaded
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server

PASTED = "Geliefert werden 200 Tablets, Hersteller: Apple. Die Angebotsfrist beträgt 20 Tage."
# Before the page's script, on each load: what the language switch carried, kept for the test
# (the page takes it out of the tab's storage as it reads it).
KEEP_CARRIED = "window.carriedHere = sessionStorage.getItem('gemeingut-carry');"
# A tab whose storage is full: it takes no carry that holds a file's bytes, or (`everything`)
# none at all.
FULL_STORAGE = """everything => {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    if (key === "gemeingut-carry" && (everything || value.includes('"data"'))) {
      throw new DOMException("full", "QuotaExceededError");
    }
    return setItem.call(this, key, value);
  };
}"""


@pytest.fixture(scope="module")
def site(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Collection `amt` embedded by the encoder `e5` the server serves beside `winzig`;
    uploads allowed; no gateway (loopback: no key)."""
    folder = tmp_path_factory.mktemp("switch-cuts")
    e5 = make_sentence_bert(folder / "e5")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "kurz.txt").write_text(SHORT, encoding="utf-8")
    ingest(folder / "collections", "amt", [docs], embed=EmbedderSpec(str(e5)))
    app = create_app(
        TransformersBackend(long_model_dir, model_name="winzig"),
        collections=folder / "collections",
        upload_max_bytes=1024 * 1024,
        also=(ModelEntry(EncoderBackend(encoder_layout(e5), "e5")),),
    )
    with running_server(app) as url:
        yield url


@pytest.fixture
def page(browser, site: str):
    yield from signed_in_page(browser, site)


def switch_to_english(page, route: str) -> None:
    """The language switch, waiting for the page in English to have asked `route` again."""
    with page.expect_response(lambda r: r.url.endswith(route) and r.status == 200):
        page.get_by_role("link", name="English").click()


def findings(page) -> list[str]:
    return page.locator("#tender-findings li").all_inner_texts()


def switched(page) -> None:
    """The language switch, waiting for the page in English."""
    page.get_by_role("link", name="English").click()
    page.get_by_text("Signed in.").wait_for()


def test_a_pasted_tender_s_findings_are_said_again_in_english(page) -> None:
    page.add_init_script(KEEP_CARRIED)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Text der Ausschreibung").fill(PASTED)
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    german = findings(page)
    status = page.locator("#tender-status").inner_text()
    assert german[0].startswith("Verstoß:") and status.startswith("Befunde: ")
    switch_to_english(page, "/v1/assist/tender")
    page.locator("#tender-status").filter(has_text="Findings: ").wait_for()
    english = findings(page)
    assert len(english) == len(german) and english[0].startswith("Violation:")
    # the same rules with their legal sources, cited as English cites them („§ 31(6) VgV“)
    source = lambda finding: "§" + finding.split("\n")[0].rsplit(" (§", 1)[1]  # noqa: E731
    assert [source(f) for f in english] == [cited_source(source(f), "en") for f in german]
    assert not any("Verstoß" in f or "Warnung" in f for f in english)
    assert page.locator("#tender-status").inner_text() == status.replace(
        "Befunde", "Findings"
    ).replace("davon Verstöße", "of them violations")
    assert page.evaluate("window.carriedHere").count("Tablets") == 1  # with the typed fields
    assert axe_violations(page) == []


def test_a_tender_file_s_findings_stay_with_their_pages(page, tmp_path: Path) -> None:
    draft = write_pdf(tmp_path / "ausschreibung.pdf", PLANTED)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Oder eine Datei des Entwurfs").set_input_files(draft)
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    assert page.locator("#tender-status").inner_text() == "Befunde: 4, davon Verstöße: 3."
    switch_to_english(page, "/v1/assist/tender")
    page.locator("#tender-status").filter(has_text="Findings: 4").wait_for()
    assert page.locator("#tender-status").inner_text() == (
        "Checked file: “ausschreibung.pdf”. Findings: 4, of them violations: 3."
    )
    places = page.locator("#tender-findings .finding-place").all_inner_texts()
    assert places == ["page 1:", "page 3:", "page 2:"]
    assert axe_violations(page) == []


@pytest.mark.parametrize("everything", [False, True])
def test_a_check_the_tab_cannot_store_is_said_not_carried(
    page, tmp_path: Path, everything: bool
) -> None:
    """A file too large for the tab's storage: the rest is carried, and the check is said not
    to be; a tab that stores nothing: the language switches all the same."""
    draft = write_pdf(tmp_path / "ausschreibung.pdf", PLANTED)
    page.get_by_role("button", name="Ausschreibung prüfen").click()
    page.get_by_label("Oder eine Datei des Entwurfs").set_input_files(draft)
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.locator("#tender-findings li").first.wait_for()
    page.evaluate(FULL_STORAGE, everything)
    switched(page)
    said = page.locator("#tender-status").inner_text()
    if everything:
        assert said == ""  # nothing carried, nothing to say
    else:
        assert said == (
            "The tender check could not be carried over to this language: the file is too large "
            "for this browser tab's storage. Choose the file again and check it."
        )
    assert findings(page) == []
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_cut_question_is_said_on_the_page_and_again_after_the_switch(page) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill(QUESTION)
    with page.expect_response(lambda r: r.url.endswith("/search")) as response:
        page.get_by_role("button", name="Suchen").click()
    cut = response.value.json()["question_cut"]
    assert cut["length"] == len(QUESTION) and 0 < cut["kept"] < cut["length"]
    status = page.locator("#documents-status")
    status.filter(has_text="Die Frage ist lang").wait_for()
    assert status.inner_text().endswith(
        f"gefunden. Die Frage ist lang: Die Suche nach Bedeutung las nur ihre ersten "
        f"{cut['kept']} von {cut['length']} Zeichen; die Suche nach Wörtern las alles."
    )
    searched_again = []
    page.on("request", lambda r: searched_again.append(r.url) if "/search" in r.url else None)
    switched(page)
    status.filter(has_text="The question is long").wait_for()
    assert status.inner_text().endswith(
        f"found. The question is long: the search by meaning read only its first {cut['kept']} "
        f"of {cut['length']} characters; the search by words read all of it."
    )
    assert searched_again == []  # said again from its numbers, not searched again
    assert axe_violations(page) == []


def test_a_cut_question_s_answer_says_it_again_after_the_switch(page) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill(QUESTION)
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    status = page.locator("#documents-status")
    assert status.inner_text().startswith("Die Frage ist lang: Die Suche nach Bedeutung las")
    switch_to_english(page, "/answer")  # handed back (`given`), said again in English
    status.filter(has_text="The question is long").wait_for()
    assert status.inner_text().startswith("The question is long: the search by meaning read")
    assert axe_violations(page) == []


def test_an_upload_says_that_its_chunks_were_cut(page, tmp_path: Path) -> None:
    document = tmp_path / "Antrag.txt"
    document.write_text(LONG, encoding="utf-8")
    assert uploaded(page, document) == (
        "„Antrag.txt“ wurde hinzugefügt. Textabschnitte, von denen die Suche nach Bedeutung nur "
        "den Anfang las, weil sie länger sind, als ihr Modell auf einmal liest (die Suche nach "
        "Wörtern liest sie ganz): 1 von 1."
    )
    assert axe_violations(page) == []
