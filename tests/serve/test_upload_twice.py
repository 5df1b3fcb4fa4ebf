"""A document uploaded twice is refused with what the sender may do, and "twice" is the text,
not the bytes: a copy of the operator's document is theirs to rename (ask the operator; a
member cannot remove it, so the refusal does not say to), a copy of another upload is removed
first (a member may); the same text as a DOCX and as an ODT is one document, which a search
would otherwise list twice. Real HTTP, a real gateway on SQLite."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.serve.test_collection_uploads import NOTE, upload, vergabe_state
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture

OPERATORS = "vergabe/notiz.txt"  # ingested by the operator: "Die Frist für Angebote …"
HOMEOFFICE = ("Homeoffice", "Homeoffice ist an zwei Tagen je Woche möglich, nach Absprache.")


def remove(url: str, key: str, document: str) -> httpx.Response:
    return httpx.delete(
        f"{url}/v1/collections/vergabe/documents",
        params={"document": document},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def read(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


def message(response: httpx.Response) -> str:
    return response.json()["error"]["message"]


def test_a_copy_is_refused_with_advice_the_sender_can_follow(uploading, collections) -> None:
    url, _, keys = uploading
    operators = (collections.parent / "vergabe" / "notiz.txt").read_bytes()
    copy = upload(url, keys["eva"], "vergabe", operators, "Kopie.txt")
    assert copy.status_code == 400, copy.text
    assert f"„{OPERATORS}“" in message(copy), copy.text
    assert "Betrieb" in message(copy) and "entfernen" not in message(copy), copy.text
    refused = remove(url, keys["eva"], OPERATORS)  # what the old advice asked for
    assert refused.status_code == 403, refused.text
    assert "unter einem anderen Namen" not in message(refused), refused.text
    assert upload(url, keys["eva"], "vergabe", NOTE.encode(), "Antrag.md").status_code == 200
    again = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Antrag-Kopie.md")
    assert again.status_code == 400, again.text
    assert "entfernen Sie zuerst „Antrag.md“" in message(again), again.text
    assert remove(url, keys["eva"], "Antrag.md").status_code == 200  # as advised
    assert upload(url, keys["eva"], "vergabe", NOTE.encode(), "Antrag-Kopie.md").status_code == 200


def test_the_same_text_in_another_format_is_not_taken_twice(
    uploading, collections, tmp_path: Path
) -> None:
    import docx
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    url, _, keys = uploading
    heading, paragraph = HOMEOFFICE
    word = docx.Document()
    word.add_heading(heading, level=1)
    word.add_paragraph(paragraph)
    word.save(str(tmp_path / "Homeoffice.docx"))
    odt = OpenDocumentText()
    odt.text.addElement(H(outlinelevel=1, text=heading))
    odt.text.addElement(P(text=paragraph))
    odt.save(str(tmp_path / "Homeoffice.odt"))
    first = upload(
        url, keys["eva"], "vergabe", read(tmp_path, "Homeoffice.docx"), "Homeoffice.docx"
    )
    assert first.status_code == 200, first.text
    before = vergabe_state(collections)
    second = upload(url, keys["eva"], "vergabe", read(tmp_path, "Homeoffice.odt"), "Homeoffice.odt")
    assert second.status_code == 400, second.text
    assert second.json()["error"]["code"] == "document_not_taken"
    assert "derselbe Text wie „Homeoffice.docx“" in message(second), second.text
    assert vergabe_state(collections) == before
