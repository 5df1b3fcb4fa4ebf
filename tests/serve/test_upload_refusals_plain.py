"""An upload refused is said in the sender's language and with a code a client can act on:
random bytes named `.pdf` are "damaged or not a PDF file" without the parser's English
("PdfStreamError: Stream has ended unexpectedly"), which the server log keeps (a warning on
stderr) without the file's name, as the audit names no document; `rag ingest` says the same;
a file name that holds a path, none, or no file has a code like every other 400."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import httpx
import pytest

from tests.serve.test_collection_uploads import NOTE, upload, vergabe_state
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture
from tests.test_cli import invoke

NOISE = random.Random(7).randbytes(4096)  # what a broken download leaves behind
PARSER_WORDS = ("technisch", "technical", "Error", "Stream")


def test_random_bytes_as_a_pdf_are_refused_in_german_and_logged_technically(
    uploading, collections, caplog: pytest.LogCaptureFixture
) -> None:
    url, _, keys = uploading
    before = vergabe_state(collections)
    with caplog.at_level(logging.DEBUG, logger="gemeingut.apps.rag.readers"):
        refused = upload(url, keys["eva"], "vergabe", NOISE, "bericht.pdf")
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "document_not_taken"
    assert "beschädigt oder keine PDF-Datei" in error["message"], error
    assert not any(word in error["message"] for word in PARSER_WORDS), error
    assert "bericht.pdf" in error["message"], error  # the sender's own file, to the sender
    logged = [r for r in caplog.records if r.name.startswith("gemeingut")]
    # the parser's own words for whoever debugs it, never a warning the operator reads
    assert any("Error" in r.getMessage() for r in logged), caplog.text
    assert all(r.levelno < logging.WARNING for r in logged if "Error" in r.getMessage())
    assert "bericht" not in caplog.text, caplog.text  # a name can say whom it is about
    assert vergabe_state(collections) == before


@pytest.mark.parametrize("filename", ["../x.md", "a/b.md", "a\\b.md"])
def test_a_file_name_with_a_path_is_refused_with_a_code(
    uploading, collections, filename: str
) -> None:
    url, _, keys = uploading
    refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), filename)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_value", "filename"), error
    assert "Pfad" in error["message"], error


def test_an_empty_file_is_refused_with_a_code(uploading, collections) -> None:
    url, _, keys = uploading
    refused = upload(url, keys["eva"], "vergabe", b"", "leer.md")
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "invalid_value", refused.text


def test_an_upload_without_a_file_name_is_refused_with_a_code(uploading, collections) -> None:
    url, _, keys = uploading
    refused = httpx.post(
        f"{url}/v1/collections/vergabe/documents",
        content=NOTE.encode(),
        headers={"Authorization": f"Bearer {keys['eva']}", "Content-Type": "text/markdown"},
        timeout=60,
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("missing_required_parameter", "filename"), error


def test_rag_ingest_says_a_damaged_pdf_in_german(tmp_path: Path) -> None:
    """The skipped file's line is German; the parser's words are the log's warning (stderr),
    for the operator who runs the ingest."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notiz.md").write_text(NOTE + "\n", encoding="utf-8")
    (docs / "bericht.pdf").write_bytes(NOISE)
    result = invoke("rag", "ingest", "akten", docs, "--root", tmp_path / "c")
    [skipped] = [line for line in result.output.splitlines() if "übersprungen" in line]
    assert "bericht.pdf: die Datei ist beschädigt oder keine PDF-Datei" in skipped, skipped
    assert not any(word in skipped for word in PARSER_WORDS), skipped
