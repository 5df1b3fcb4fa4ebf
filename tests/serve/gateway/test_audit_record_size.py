"""Each exported audit record stays under 0.5 KB, and a model id of up to 64 bytes (a long GGUF
name) stays whole in it, also with every other field at the longest the server writes: the
longest route (a collection's answer, cut to its 40-character column) with its response id,
the longest response id (`chatcmpl-`, 32 hex digits) on a stream whose record is completed
later at the widest its counts can be, a reverse proxy's 32-character request id and an
80-character decision. Measured on the lines `admin audit export` writes, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import (
    CHARS,
    RECORD_BYTES,
    UNFINISHED,
    AuditLog,
    exported_bytes,
)
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key
from gemeingut.serve.gateway.store import open_store, writing

runner = CliRunner()
GGUF = "Qwen2.5-7B-Instruct-GGUF-q4_k_m"
LONGEST = "unsloth/DeepSeek-R1-Distill-Qwen-32B-Instruct-GGUF-Q4_K_M-imatrx"  # 64 characters
MOST = 2**31 - 1  # what the count columns hold
DECISION = ("redacted:" + ",".join(f"pii-{n}" for n in range(30)))[: CHARS["decision"]]


def test_a_64_byte_model_id_stays_whole_with_every_field_at_its_longest(store_url: str) -> None:
    assert len(LONGEST.encode()) == 64
    engine = open_store(store_url)
    add_user(engine, "anna")
    key_id, key = create_key(engine, "anna")
    anna = authenticate(engine, key)  # the stream's person, who still exists when it ends
    log = AuditLog(engine)
    common = {
        "at": datetime(2026, 12, 31, 23, 59, 59, 999999),
        "user_pseudonym": "0123456789abcdef",
        "key_id": key_id,
        "x_request_id": "x" * 32,  # a reverse proxy's id at the longest taken
        "status": 200,
    }
    for n, model in enumerate((LONGEST, GGUF)):
        # A collection's answer: the longest route there is, written whole (no stream), with
        # counts as long as a 1M-token prompt and an hour's work make them.
        log.write(
            **common,
            request_id=f"rag-{n:032x}",
            route="/v1/collections/" + "sammlung-" * 8 + "/answer",
            model=model,
            decision=DECISION,
            prompt_tokens=1_048_576,
            completion_tokens=131_072,
            duration_ms=3_600_000,
        )
        # A stream: the longest response id, opened now and completed at the widest later.
        stream_id = f"chatcmpl-{n:032x}"
        log.write(
            **common,
            request_id=stream_id,
            route="/v1/chat/completions",
            model=model,
            decision=DECISION[: CHARS["decision"] - len(UNFINISHED) - 1] + ";" + UNFINISHED,
        )
        with writing(engine) as conn:
            AuditLog.complete(
                conn,
                stream_id,
                anna,
                status=499,
                prompt_tokens=MOST,
                completion_tokens=MOST,
                duration_ms=MOST,
                decision=DECISION,
            )
    done = runner.invoke(app, ["admin", "audit", "export", "--db", store_url])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stdout.splitlines() if '"model"' in line]
    assert len(lines) == 4
    for line in lines:
        record = json.loads(line)
        assert record["model"] in (LONGEST, GGUF)  # whole: no start and hash
        assert len((line + "\n").encode()) < RECORD_BYTES, line
        assert exported_bytes(record) == len((line + "\n").encode())  # measured as written
    routes = {json.loads(line)["route"] for line in lines}
    assert max(len(route) for route in routes) == CHARS["route"]
