"""An upload to a collection whose vectors an older gemeingut made otherwise (mean pooling, no
prompts) embeds every chunk of it again, as any ingest does: the answer's note says so, since
the upload took as long as embedding the whole collection. Real HTTP on loopback, the
collection's encoder a sentence-transformers folder."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.collection import open_collection
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.encoders.test_encoder_rag import DOCUMENTS, _ingested, as_an_older_gemeingut_left_it
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server
from tests.serve.test_collection_uploads import MIB, NOTE, upload


def test_an_upload_says_it_embedded_the_collection_again(
    tmp_path: Path, backend: TransformersBackend
) -> None:
    model = make_sentence_bert(tmp_path / "e5-winzig", pooling="cls_token")
    root = _ingested(tmp_path, model)
    app = create_app(backend, collections=root, upload_max_bytes=MIB)  # one person's, loopback
    with running_server(app) as url:
        first = upload(url, None, "amt", NOTE.encode(), "antrag-neu.txt")
        assert first.status_code == 200, first.text
        assert first.json()["note"] is None  # the vectors kept: nothing embedded again
        as_an_older_gemeingut_left_it(root, model)
        again = upload(url, None, "amt", NOTE.encode() + b" Nachtrag.", "antrag-neu.txt")
    assert again.status_code == 200, again.text
    chunks = len(open_collection(root, "amt").chunks)
    assert chunks == len(DOCUMENTS) + 1
    assert again.json()["note"] == (
        f"alle {chunks} Textabschnitte neu eingebettet: Das Modell bettet jetzt anders ein "
        "(Pooling/Prompts)"
    ), again.text
