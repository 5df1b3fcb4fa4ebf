"""A file name holding a line break (`a\nb.txt`, as a client may send it) is refused with 400
saying so in German, the collection unchanged: `rag ingest` skips such a file, and a key with a
line break would print across two lines. One at the name's end was trimmed away, the file
stored as `b.txt` without a word; a plain name is still taken. Real HTTP on loopback."""

from __future__ import annotations

from pathlib import Path

from tests.serve.test_collection_uploads import NOTE, upload, vergabe_state
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture


def test_a_file_name_with_control_characters_is_refused_saying_so(
    uploading, collections: Path
) -> None:
    url, _, keys = uploading
    before = vergabe_state(collections)
    for filename in ("a\nb.txt", "b.txt\n", "\tb.txt", "a\x1bb.txt"):
        refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), filename)
        assert refused.status_code == 400, (filename, refused.text)
        error = refused.json()["error"]
        assert error["param"] == "filename"
        assert "Steuerzeichen (einen Zeilenumbruch, einen Tabulator)" in error["message"], error
        assert "Pfad" not in error["message"], error["message"]
    assert vergabe_state(collections) == before
    taken = upload(url, keys["eva"], "vergabe", NOTE.encode(), " b.txt ")
    assert taken.status_code == 200 and taken.json()["document"] == "b.txt", taken.text
