"""A collection ingested before control characters became spaces (reader format 5) kept a zero
byte in its chunks, and nothing read it again: the format was not raised. Now it is 6: such a
collection is not searched (its NUL never shown) until the next `rag ingest`, or an upload
through the server, reads its documents again from the collection's own copies; a document
whose chunks come out the same keeps its vectors (nothing embedded again). Whoever gave a file
is told how many control characters in it were read as spaces: `rag ingest`'s summary, and an
upload's answer, in German and English. The collection is written as format 5 wrote it; the
encoder is an embedding server on loopback, the server real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.storage import CHUNKS, COLLECTION_FILE
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from tests.http_server import running_server
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint
from tests.serve.test_collection_uploads import MIB, upload
from tests.serve.test_collections import staff
from tests.test_cli import invoke

ROH = "Die Müllabfuhr\x00kommt dienstags."  # as the file holds it, and format 5 its chunk
SAUBER = "Die Straßenreinigung ist neu."


def as_stored_by_format_5(folder: Path, texts: dict[str, str]) -> None:
    """Rewrite the collection in `folder` as reader format 5 stored it: each record's format 5,
    and the chunk of each document in `texts` (by key, of one chunk) that text as it was in
    the file, control characters and all."""
    record = folder / COLLECTION_FILE
    meta = json.loads(record.read_text(encoding="utf-8"))
    for entry in meta["documents"].values():
        entry["reader"] = 5
    record.write_text(json.dumps(meta), encoding="utf-8")
    chunks = folder / meta["index"] / CHUNKS
    table = pq.read_table(chunks).to_pydict()
    table["text"] = [
        texts.get(key, text) for key, text in zip(table["document"], table["text"], strict=True)
    ]
    pq.write_table(pa.table(table, schema=pq.read_schema(chunks)), chunks)


def old_collection(tmp_path: Path, url: str, groups: list[str] | None = None) -> Path:
    """`vergabe` of the folder `akten` (a text with a zero byte, one without), embedded by the
    encoder at `url` and stored as format 5 stored it."""
    docs = tmp_path / "akten"
    docs.mkdir()
    (docs / "roh.txt").write_bytes(ROH.encode())
    (docs / "sauber.txt").write_text(SAUBER, encoding="utf-8")
    root = tmp_path / "collections"
    ingest(root, "vergabe", [docs], groups=groups, embed=EmbedderSpec(url, MODEL))
    as_stored_by_format_5(root / "vergabe", {"akten/roh.txt": ROH})
    assert "\x00" in "".join(c.text for c in open_collection(root, "vergabe").chunks)
    return root


def test_rag_ingest_reads_a_format_5_collection_again_and_embeds_only_what_changed(
    tmp_path: Path,
) -> None:
    with embedding_endpoint() as encoder:
        root = old_collection(tmp_path, encoder.url)
        refused = invoke("rag", "query", "vergabe", "Müllabfuhr", "--root", root, "--mode", "bm25")
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2, said
        assert (
            "„akten/roh.txt“, „akten/sauber.txt“ wurden von einer anderen Version von "
            "gemeingut gelesen, die Seiten, Abschnitte oder Text anders liest"
        ) in said, said
        assert "\x00" not in refused.output
        encoder.texts.clear()
        other = tmp_path / "hinweis.md"
        other.write_bytes(b"# Laub\n\nDas Laub\x0bwird im Herbst\x1b geholt.\n")
        ingested = invoke("rag", "ingest", "vergabe", other, "--root", root)
        said = " ".join(ingested.output.split())
        assert ingested.exit_code == 0, said
        assert (
            "2 unveränderte Dokumente neu gelesen: sie waren von einer anderen Version von "
            "gemeingut gelesen worden, die Seiten, Abschnitte oder Text anders liest"
        ) in said, said
        assert "akten/roh.txt: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 1" in said
        assert "hinweis.md: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 2" in said
        assert "sauber.txt:" not in said
        # the chunk that lost its zero byte and the new file's, never the unchanged chunk's
        assert any("Müllabfuhr kommt" in t for t in encoder.texts), encoder.texts
        assert not any("Straßenreinigung" in t for t in encoder.texts), encoder.texts
        shown = invoke("rag", "query", "vergabe", "Müllabfuhr", "--root", root, "--json")
        assert shown.exit_code == 0, shown.output
        assert "\x00" not in shown.output
        assert json.loads(shown.stdout)[0]["text"] == "Die Müllabfuhr kommt dienstags."
        collection = open_collection(root, "vergabe")
        assert collection.outdated == [] and collection.vectors.shape[0] == collection.size


def test_an_upload_reads_a_format_5_collection_again_and_says_what_it_replaced(
    tmp_path: Path, model_dir: Path
) -> None:
    engine, keys = staff(tmp_path)
    backend = TransformersBackend(model_dir, model_name="winzig")
    with embedding_endpoint() as encoder:
        root = old_collection(tmp_path, encoder.url, groups=["einkauf"])
        encoder.texts.clear()
        app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=MIB)
        with running_server(app) as url:
            search = lambda: httpx.post(  # noqa: E731
                f"{url}/v1/collections/vergabe/search",
                json={"query": "Müllabfuhr", "mode": "bm25"},
                headers={"Authorization": f"Bearer {keys['eva']}"},
                timeout=60,
            )
            before = search()
            assert before.status_code == 409, before.text  # not searched: its NUL not shown
            assert "\x00" not in before.text
            listed = httpx.get(
                f"{url}/v1/collections/vergabe/documents",
                headers={"Authorization": f"Bearer {keys['eva']}"},
                timeout=30,
            )
            assert listed.status_code == 200, listed.text  # the page offers the upload
            taken = upload(url, keys["eva"], "vergabe", b"Frist:\x00 30\x07 Tage.", "Frist.txt")
            assert taken.status_code == 200, taken.text
            assert taken.json()["control_characters"] == 2
            assert taken.json()["note"] == (
                "Frist.txt: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 2"
            )
            after = search()
            assert after.status_code == 200, after.text
            assert after.json()["data"][0]["text"] == "Die Müllabfuhr kommt dienstags."
            english = upload(
                url, keys["eva"], "vergabe", b"Laub\x00.", "Laub.txt", **{"Accept-Language": "en"}
            )
            assert english.status_code == 200, english.text
            note = english.json()["note"]
            assert note == "Laub.txt: control characters (such as zero bytes) read as spaces: 1"
            clean = upload(url, keys["eva"], "vergabe", b"Die Biotonne kommt freitags.", "Neu.txt")
            assert clean.json()["control_characters"] == 0 and clean.json()["note"] is None
    assert any("Müllabfuhr kommt" in t for t in encoder.texts), encoder.texts
    assert not any("Straßenreinigung" in t for t in encoder.texts), encoder.texts  # kept
