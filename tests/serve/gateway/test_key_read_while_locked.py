"""A request that only needs its key is answered while another process holds SQLite's write
lock (an admin command, another server process): the key is read in the gateway's reading
thread, which does not queue behind this process's writes waiting for that lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import api_keys

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


def engine_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": 512}]}

    @app.post("/v1/chat/completions")
    def chat() -> dict:
        message = {"role": "assistant", "content": "Guten Tag"}
        return {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "fremd",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }

    return app


def test_a_key_is_read_while_another_process_holds_the_write_lock(
    tmp_path: Path, serve: Serve
) -> None:
    db = tmp_path / "gateway.db"
    store = open_store(str(db))
    add_user(store, "anna")
    key_id, key = create_key(store, "anna")  # never used: its first use is noted, later
    writing = threading.Event()

    @event.listens_for(store, "begin", insert=True)  # before the store's own BEGIN IMMEDIATE
    def began(conn) -> None:
        if not conn.get_execution_options().get("read_only", False):
            writing.set()

    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": "amt-modell", "messages": [{"role": "user", "content": "Hallo"}]}
    with serve(engine_app()) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(db)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert holder.stdout.readline() == "held\n"
                chat: list[int] = []
                asking = threading.Thread(
                    target=lambda: chat.append(
                        httpx.post(
                            f"{url}/v1/chat/completions", json=body, headers=headers, timeout=120
                        ).status_code
                    )
                )
                asking.start()
                assert writing.wait(timeout=60)  # the gateway's writes wait for the lock now
                models = httpx.get(f"{url}/v1/models", headers=headers, timeout=120)
                assert models.status_code == 200
                assert asking.is_alive() and chat == []  # its writes still wait
                holder.stdin.write("\n")
                holder.stdin.flush()
                asking.join(timeout=120)
            finally:
                holder.stdin.close()
                holder.wait(timeout=60)
    assert chat == [200]
    with store.connect() as conn:  # noted by the writing thread, before the chat's quota
        used = conn.execute(select(api_keys.c.last_used_at).where(api_keys.c.id == key_id))
        assert used.scalar_one() is not None
