"""A file name whose percent-escaped bytes are not UTF-8 (`M%FCll.txt`, a Latin-1 ü) was
stored as „M\ufffdll.txt“: the query's parser puts U+FFFD for each byte it cannot decode.
Now the upload is refused with 400 and a German message asking for a UTF-8 name, and the
collection stays as it was; the same name in UTF-8 (`M%C3%BCll.txt`) is taken as „Müll.txt“.
Real HTTP on loopback, the raw query as a client sends it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.serve.test_collection_uploads import NOTE, vergabe_state
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture


def _upload_raw(url: str, key: str, query: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/collections/vergabe/documents?{query}",
        content=NOTE.encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"},
        timeout=60,
    )


def test_a_file_name_not_utf8_is_refused(uploading, collections: Path) -> None:
    url, _, keys = uploading
    before = vergabe_state(collections)
    refused = _upload_raw(url, keys["eva"], "filename=M%FCll.txt")
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["param"] == "filename"
    assert "UTF-8" in error["message"] and "Dateiname" in error["message"], error["message"]
    assert "\ufffd" not in refused.text
    assert vergabe_state(collections) == before

    taken = _upload_raw(url, keys["eva"], "filename=M%C3%BCll.txt")
    assert taken.status_code == 200, taken.text
    assert taken.json()["document"] == "Müll.txt"
