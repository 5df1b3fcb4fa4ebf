"""A file uploaded on the page whose text held control characters (a zero byte, an escape) is
taken with each read as a space, and the person who sent it is told how many, in the file they
sent: before, the page said only that it was added, and a file that was perhaps no text at all
(or not the one meant) went unremarked. A real browser, the server on loopback."""

from __future__ import annotations

from pathlib import Path

from tests.apps.web.conftest import sign_in
from tests.apps.web.uploading import uploaded


def test_the_page_says_how_many_control_characters_an_upload_held(
    page, site: dict, tmp_path: Path
) -> None:
    sign_in(page, site)
    raw = tmp_path / "Rohdaten.txt"
    raw.write_bytes("Die Sperrmüllabholung\x00ist\x1b monatlich.\n".encode())
    assert uploaded(page, raw) == (
        "„Rohdaten.txt“ wurde hinzugefügt. "
        "Rohdaten.txt: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 2."
    )
