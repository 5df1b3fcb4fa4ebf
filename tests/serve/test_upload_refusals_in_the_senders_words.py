"""Why an upload was refused, said once and in the sender's language, over real HTTP.

A text file named `bericht.pdf` was refused with the reader's reason in German under an
English request ("'bericht.pdf' was not taken: die Datei ist beschädigt …"): the reason was put
into words in the upload's worker thread, which knew no request. And curl's `--data-binary`
without `?filename=` got "query.filename: ist erforderlich", a field path instead of what to
send. Now the reason follows `Accept-Language`, the sentence says „was not taken“ once (the
page shows it as it is), and a missing file name is said in words with an example to copy."""

from __future__ import annotations

import httpx
import pytest

from tests.serve.test_collection_uploads import NOTE, upload, vergabe_state
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture

NOT_A_PDF = b"Nur Text, keine PDF-Datei.\n"


@pytest.mark.parametrize(
    ("language", "says", "never"),
    [
        ("en", ["'bericht.pdf' was not taken: ", "damaged or not a PDF file"], ["beschädigt"]),
        ("de", ["„bericht.pdf“ wurde nicht aufgenommen: ", "beschädigt"], ["damaged"]),
    ],
)
def test_a_file_not_taken_is_said_once_in_the_senders_language(
    uploading, collections, language: str, says: list[str], never: list[str]
) -> None:
    url, _, keys = uploading
    before = vergabe_state(collections)
    refused = upload(
        url, keys["eva"], "vergabe", NOT_A_PDF, "bericht.pdf", **{"Accept-Language": language}
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "document_not_taken"
    message = error["message"]
    assert message.startswith(says[0]) and message.count("bericht.pdf") == 1, message
    assert all(word in message for word in says[1:]), message
    assert not any(word in message for word in never), message
    assert str(collections) not in message and ".upload-" not in message  # no server path
    assert vergabe_state(collections) == before


@pytest.mark.parametrize(
    ("language", "says"),
    [("en", "the query parameter filename"), ("de", "als Abfrageparameter filename")],
)
def test_an_upload_without_a_file_name_is_told_what_to_send(
    uploading, collections, language: str, says: str
) -> None:
    url, _, keys = uploading
    before = vergabe_state(collections)
    address = f"{url}/v1/collections/vergabe/documents"
    refused = httpx.post(
        address,
        content=NOTE.encode(),
        headers={
            "Authorization": f"Bearer {keys['eva']}",
            "Content-Type": "application/octet-stream",
            "Accept-Language": language,
        },
        timeout=60,
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["param"] == "filename"
    message = error["message"]
    assert says in message and "query.filename" not in message, message
    assert f"'{address}?filename=Vermerk.pdf'" in message, message
    assert "--data-binary @Vermerk.pdf" in message and "Authorization: Bearer gg_" in message
    assert vergabe_state(collections) == before
