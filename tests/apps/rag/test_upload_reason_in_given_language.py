"""Why an uploaded file is not taken is said in the language asked for (`said_in`), whatever
the language of the thread that reads it: a server reads an upload in a worker thread that
knows no request, and said an English sender's reason in German. A real collection in tmp,
no embedding model (the words' index alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.index import ingest
from gemeingut.apps.rag.uploads import NotTaken, add_uploaded
from gemeingut.i18n import text, use_language


@pytest.mark.parametrize(
    ("thread", "said_in", "says"),
    [("de", "en", "damaged or not a PDF file"), ("en", "de", "beschädigt oder keine PDF-Datei")],
)
def test_a_file_not_taken_is_said_in_the_language_asked_for(
    tmp_path: Path, thread: str, said_in: str, says: str
) -> None:
    note = tmp_path / "notiz.txt"
    note.write_text("Der Antrag ist beim Kulturamt einzureichen.\n", encoding="utf-8")
    ingest(tmp_path / "collections", "akten", [note])
    with use_language(thread), pytest.raises(NotTaken) as refused:
        add_uploaded(
            tmp_path / "collections", "akten", "bericht.pdf", b"Nur Text.\n", said_in=said_in
        )
    reason = text(refused.value.message)
    assert says in reason and str(tmp_path) not in reason, reason
