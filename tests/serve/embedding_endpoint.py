"""A small OpenAI-compatible embedding server on loopback, standing in for a remote encoder
(`--embed http://…`): its own tokenizer (one token a word, one more a text), vectors from the
text, `usage` in its answers or none, what its `/v1/models` says, Ollama's `/api/show` and
`/api/version` where a test sets what they say, a gate that holds its answers until a test
opens it, and an `answers` a test can switch to make it fail."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "fern-encoder"
DIMENSIONS = 8
TROUBLE = "Grafikspeicher erschöpft"  # what it says when told to fail
BUSY_FOR = "30"  # seconds: the Retry-After it gives when told to be busy
SPENT_FOR = "3600"  # seconds: the Retry-After of its day's allowance spent (waiting won't help)


def tokens_of(text: str) -> int:
    """The endpoint's own count: a word is a token, and each text has a start token."""
    return len(text.split()) + 1


def _vector(text: str, size: int = DIMENSIONS) -> list[float]:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [byte / 255 + 0.01 for byte in digest[:size]]


class EmbeddingEndpoint:
    def __init__(self, says_usage: bool) -> None:
        self.says_usage = says_usage
        self.said: list[int] = []  # the tokens each answer said it read
        self.texts: list[str] = []  # every text it embedded
        self.arrived = 0  # embedding requests taken, answered or held
        self.gate = threading.Event()  # cleared: requests wait until it is set
        self.gate.set()
        self._lock = threading.Lock()
        self.url = ""
        # "vectors"; "fails" (500); "busy" (503 with Retry-After); "hopeless" (503 saying that
        # waiting does not help, without Retry-After); "spent" (429 saying it, with
        # Retry-After, as a gemeingut gateway's daily allowance); "shapeless" (200 without the
        # embeddings); "shorter" (vectors of 4 numbers where it made the collection's with 8)
        self.answers = "vectors"
        # What it answers on `POST /api/show` (status, body): Ollama's says what its model can
        # do (`capabilities`), llama-server's says `completion` whatever it serves; None: no
        # such route (as vLLM). `ollama`: it answers `GET /api/version` as Ollama does.
        self.show: tuple[int, object] | None = None
        self.ollama = False
        # What it answers on `GET /v1/models` (OpenAI's list of its one model unless a test
        # sets another answer).
        self.models: object = {"object": "list", "data": [{"id": MODEL, "object": "model"}]}

    def answer(self, texts: list[str]) -> dict:
        with self._lock:
            self.arrived += 1
        self.gate.wait()
        with self._lock:
            self.texts += texts
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(t)}
            for i, t in enumerate(texts)
        ]
        answer: dict = {"object": "list", "data": data, "model": MODEL}
        if self.says_usage:
            tokens = sum(map(tokens_of, texts))
            with self._lock:
                self.said.append(tokens)
            answer["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return answer


@contextmanager
def embedding_endpoint(says_usage: bool = True) -> Iterator[EmbeddingEndpoint]:
    """The endpoint on a free loopback port; its base URL (ending in /v1) is `.url`."""
    endpoint = EmbeddingEndpoint(says_usage)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._send(200, endpoint.models)
            elif self.path == "/api/version" and endpoint.ollama:
                self._send(200, {"version": "0.12.3"})
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if self.path == "/api/show" and endpoint.show is not None:
                self._send(*endpoint.show)
                return
            if self.path != "/v1/embeddings":
                self._send(404, {"error": {"message": "not found"}})
                return
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            if endpoint.answers == "fails":
                self._send(500, {"error": {"message": TROUBLE}})
            elif endpoint.answers == "busy":
                self._send(503, {"error": {"message": "queue full"}}, {"Retry-After": BUSY_FOR})
            elif endpoint.answers == "hopeless":
                self._send(503, {"error": {"message": "closed"}}, {"x-should-retry": "false"})
            elif endpoint.answers == "spent":
                spent = {"Retry-After": SPENT_FOR, "x-should-retry": "false"}
                self._send(429, {"error": {"message": "tokens_per_day"}}, spent)
            elif endpoint.answers == "shapeless":
                rows = [{"index": i, "object": "embedding"} for i in range(len(texts))]
                self._send(200, {"object": "list", "data": rows, "model": MODEL})
            elif endpoint.answers == "shorter":
                rows = [{"index": i, "embedding": _vector(t, 4)} for i, t in enumerate(texts)]
                self._send(200, {"object": "list", "data": rows, "model": MODEL})
            else:
                self._send(200, endpoint.answer(texts))

        def _send(
            self, status: int, payload: object, headers: dict[str, str] | None = None
        ) -> None:
            raw = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in {"content-type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:  # its client (a server killed by a test) is gone
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        endpoint.gate.set()
        server.shutdown()
        server.server_close()
