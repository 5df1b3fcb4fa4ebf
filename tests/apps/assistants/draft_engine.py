"""An engine of a draft's own for the draft route's tests: an OpenAI-compatible server on
loopback that writes each section asked with `WRITTEN` unless its `refusal` says otherwise,
and the real draft route in front of it, over a one-memo collection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from tests.http_server import running_server

MEMO = "# Pauschale\n\nFür mobiles Arbeiten zahlt die Stadt eine Pauschale von 25 Euro monatlich.\n"
DRAFT = {"kind": "vermerk", "collection": "amt", "subject": "Pauschale für mobiles Arbeiten"}
WRITTEN = "Die Stadt zahlt eine Pauschale von 25 Euro monatlich [1]."


class Engine:
    """Counts its chats and answers each with `WRITTEN`, or with what `refusal` returns."""

    def __init__(self) -> None:
        self.chats = 0
        self.app = FastAPI()

        @self.app.get("/v1/models")
        def models() -> dict:
            return {"data": [{"id": "engine", "max_model_len": 4096}]}

        @self.app.post("/v1/chat/completions")
        def chat() -> JSONResponse:
            self.chats += 1
            refused = self.refusal()
            if refused is not None:
                return refused
            choice = {"index": 0, "message": {"role": "assistant", "content": WRITTEN}}
            usage = {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62}
            body = {"choices": [choice | {"finish_reason": "stop"}], "usage": usage}
            return JSONResponse(body | {"id": "c", "object": "chat.completion", "model": "engine"})

    def refusal(self) -> JSONResponse | None:
        """The error this chat is answered with, or None to write the section."""
        return None


class FailingAfterFirst(Engine):
    """Writes the first section of a draft; once `failing` is set (after that first chat),
    fails every chat with a 500, as an engine out of memory does."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def refusal(self) -> JSONResponse | None:
        if self.failing:
            return JSONResponse({"error": {"message": "CUDA out of memory"}}, 500)
        self.failing = self.chats == 1  # the first section written, the next ones fail
        return None


E = TypeVar("E", bound=Engine)


@contextmanager
def drafting(tmp_path: Path, engine: E) -> Iterator[tuple[str, E]]:
    """The draft route's URL, with `engine` behind it and `MEMO` in the collection `amt`."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mobil.md").write_text(MEMO, encoding="utf-8")
    ingest(tmp_path / "collections", "amt", [tmp_path / "docs"])
    with running_server(engine.app) as engine_url:
        app = create_app(UpstreamBackend(engine_url), collections=tmp_path / "collections")
        with running_server(app) as url:
            yield url, engine
