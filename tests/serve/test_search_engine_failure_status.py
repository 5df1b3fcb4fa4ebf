"""A search whose question the collection's encoder cannot embed is said as the engine's failure,
not as the caller's wrong `mode`: the encoder (`--embed http://…`) answering 500 or not at all
is a 502 with its reason, one that says it is busy (503 with Retry-After) a 503 with when to
ask again, and one that answers in another shape (no `embedding`, vectors of another length
than the collection's) a 502 that names the encoder's address; an answer from the documents
searches alike. Only a mode the collection cannot search in (dense without vectors) stays a
400 on `mode`. Before, every one of these was a 400 on `mode`, and a reply without its
embeddings a 500. Real HTTP both ways: an encoder on loopback answering as told, and the
server."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.test_collections import staff
from tests.serve.test_upload_remote_encoder import encoded_collection

Serve = Callable[[FastAPI], AbstractContextManager[str]]
MODEL = "fern-encoder"
TROUBLE = "Grafikspeicher erschöpft"
QUESTION = "Wie lange ist die Frist für Angebote?"


@dataclass
class Encoder:
    url: str = ""
    # "vectors"; "fails" (500); "busy" (503 with Retry-After); "shapeless" (200 without the
    # embeddings); "shorter" (vectors of 4 numbers, the collection's have 8)
    answer: str = "vectors"


def _vector(text: str, size: int = 8) -> list[int]:
    return list(hashlib.sha256(text.encode()).digest()[:size])


@contextmanager
def encoder() -> Iterator[Encoder]:
    """An OpenAI-compatible `/v1/embeddings` on a free loopback port that answers as told."""
    told = Encoder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            texts = json.loads(self.rfile.read(int(self.headers["content-length"])))["input"]
            if told.answer == "fails":
                self._send(500, {"error": {"message": TROUBLE}})
            elif told.answer == "busy":
                self._send(503, {"error": {"message": "queue full"}}, {"Retry-After": "30"})
            elif told.answer == "shapeless":
                rows = [{"index": i, "object": "embedding"} for i in range(len(texts))]
                self._send(200, {"object": "list", "data": rows, "model": MODEL})
            else:
                size = 4 if told.answer == "shorter" else 8
                rows = [{"index": i, "embedding": _vector(t, size)} for i, t in enumerate(texts)]
                self._send(200, {"object": "list", "data": rows, "model": MODEL})

        def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            for name, value in {"content-type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    told.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield told
    finally:
        server.shutdown()
        server.server_close()


def ask(url: str, key: str, route: str, name: str = "vergabe", **body) -> httpx.Response:
    asked = {"query": QUESTION} if route == "search" else {"question": QUESTION, "max_tokens": 8}
    return httpx.post(
        f"{url}/v1/collections/{name}/{route}",
        json=asked | body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def error_of(response: httpx.Response) -> dict:
    return response.json()["error"]


def test_an_encoder_that_fails_a_search_is_a_502_or_503_never_a_400_on_mode(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    engine, keys = staff(tmp_path)
    with encoder() as told:
        root = encoded_collection(tmp_path, told.url, MODEL)
        words = tmp_path / "akten"  # a collection without vectors: dense is the caller's error
        words.mkdir()
        (words / "frist.txt").write_text("Angebote binnen 30 Tagen.", encoding="utf-8")
        ingest(root, "akten", [words], groups=["einkauf"])
        app = create_app(backend, gateway=Gateway(engine), collections=root)
        with serve(app) as url:
            eva = keys["eva"]
            found = ask(url, eva, "search")
            assert found.status_code == 200, found.text
            assert found.json()["data"][0]["document"] == "vergabe/notiz.txt"

            told.answer = "fails"
            for route in ("search", "answer"):
                failed = ask(url, eva, route)
                assert failed.status_code == 502, failed.text
                assert error_of(failed)["code"] == "engine_unavailable"
                assert error_of(failed)["param"] != "mode"
                said = error_of(failed)["message"]
                assert said.startswith("die Sammlung konnte nicht durchsucht werden"), said
                assert f"antwortete 500: {TROUBLE}" in said, said
                assert failed.headers["retry-after"] == "5"
            assert ask(url, eva, "search", mode="bm25").status_code == 200  # asks no encoder

            told.answer = "busy"
            busy = ask(url, eva, "search")
            assert busy.status_code == 503, busy.text
            assert error_of(busy)["code"] == "engine_unavailable"
            assert "(Retry-After des Servers: 30 s)" in error_of(busy)["message"], busy.text

            told.answer = "shapeless"
            shapeless = ask(url, eva, "search", mode="dense")
            assert shapeless.status_code == 502, shapeless.text  # was a 500
            said = error_of(shapeless)["message"]
            assert f"{told.url}/embeddings hat geantwortet, aber nicht mit Einbettungen" in said
            assert "`index` mit seinem `embedding`" in said, said

            told.answer = "shorter"
            shorter = ask(url, eva, "search")
            assert shorter.status_code == 502, shorter.text  # was a 500
            said = error_of(shorter)["message"]
            assert f"das Einbettungsmodell {MODEL} liefert Vektoren mit 4 Zahlen" in said, said
            assert "die Sammlung vergabe enthält Vektoren mit 8" in said, said

            no_vectors = ask(url, eva, "search", name="akten", mode="dense")
            assert no_vectors.status_code == 400, no_vectors.text
            assert error_of(no_vectors)["param"] == "mode"
            assert "hat keine dichten Vektoren" in error_of(no_vectors)["message"]
    with serve(app) as url:  # the encoder is gone: nothing answers at its address
        gone = ask(url, keys["eva"], "search")
        assert gone.status_code == 502, gone.text
        assert "die Verbindung wurde abgelehnt" in error_of(gone)["message"], gone.text
    said = [(r["status"], r["decision"]) for r in export(engine) if r["route"].endswith("/search")]
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
    assert (400, "engine_unavailable") not in said
