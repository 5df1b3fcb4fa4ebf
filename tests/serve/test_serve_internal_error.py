"""A failure nobody foresaw is a JSON 500 in OpenAI's envelope, and the client's keep-alive
connection stays usable: its next request on the same socket is answered.

The failure is a real one, not a mock: a collection's `collection.json` damaged on disk after
the server started, which the collections route cannot read."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.test_collections import collections as collections  # a fixture


def test_a_500_answers_json_and_keeps_the_connection(
    backend: TransformersBackend,
    collections: Path,
    serve: Callable[[FastAPI], AbstractContextManager[str]],
) -> None:
    with serve(create_app(backend, collections=collections)) as url:
        (collections / "vergabe" / "collection.json").write_text("{kaputt", encoding="utf-8")
        connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
        connection.request("GET", "/v1/collections")
        failed = connection.getresponse()
        body = json.loads(failed.read())
        socket = connection.sock
        assert failed.status == 500
        assert failed.getheader("content-type") == "application/json"
        assert body == {
            "error": {
                "message": "interner Serverfehler; siehe das Serverprotokoll",
                "type": "server_error",
                "param": None,
                "code": "server_error",  # as every error object names its code
                "request_id": failed.getheader("x-request-id"),  # what support asks for
            }
        }
        assert "kaputt" not in json.dumps(body) and str(collections) not in json.dumps(body)
        assert socket is not None and not failed.will_close

        connection.request("GET", "/health")
        next_answer = connection.getresponse()
        assert next_answer.status == 200, next_answer.read()
        assert json.loads(next_answer.read())["status"] == "ok"
        assert connection.sock is socket  # the same connection, not a new one
        connection.close()
