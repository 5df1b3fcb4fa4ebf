"""The audit log as a data-protection officer reads it: each exported record under 0.5 KB
whatever its fields hold, no free text in a decision, a bare `--until` date that includes its
day, content deleted when content logging is switched off, and periods a request reads from
memory (a database that fails or holds nonsense never fails or delays a request)."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.cli.admin.times import point_in_time
from gemeingut.errors import InputError
from gemeingut.i18n import text as said
from gemeingut.serve.gateway.audit_log import RECORD_BYTES, AuditLog, stored_model
from gemeingut.serve.gateway.content_log import keep
from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.records import ControllerFacts, read_record
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.retention import CONTENT_DAYS, LivePeriods, agree_retention
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log, settings
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.model_queue import ModelQueue
from tests.serve.gateway.people import person

runner = CliRunner()
LONG_MODEL = "organisation-mit-langem-namen/" + "modell-ä" * 30  # 200+ chars, not all ASCII


GROUP_ROUTES = (
    "admin:groups-add",
    "admin:groups-join",
    "admin:groups-leave",
    "admin:groups-remove",
    "admin:quotas-set",
)


def admin(db: Path, *args: str) -> str:
    done = runner.invoke(app, ["admin", *args, "--db", str(db)])
    assert done.exit_code == 0, done.output
    return done.stdout


def admin_said(db: Path, *args: str) -> str:
    done = runner.invoke(app, ["admin", *args, "--db", str(db)])
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def exported(db: Path, *args: str) -> list[str]:
    return admin(db, "audit", "export", *args).splitlines()


def test_every_exported_record_stays_under_512_bytes_with_every_field_at_its_longest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    log = AuditLog(open_store(str(db)))
    longest = {
        "at": datetime(2026, 12, 31, 23, 59, 59, 999999),
        "request_id": "r" * 64,
        "user_pseudonym": "u" * 16,
        "key_id": "0123456789ab",
        "route": "/v1/collections/" + "ä" * 40,
        "model": LONG_MODEL,
        "status": 503,
        "decision": "redacted:" + "regel-" * 20,
        "prompt_tokens": 2**31 - 1,
        "completion_tokens": 2**31 - 1,
        "duration_ms": 2**31 - 1,
    }
    log.write(**longest)  # a request of the API
    log.write(**longest | {"request_id": "s" * 64, "operator_pseudonym": "o" * 16})
    log.write(**longest | {"request_id": "t" * 64, "model": "meta-llama/Llama-3.1-8B-Instruct"})
    # with the HTTP request's id at its longest too: once with every other field at its
    # longest, once with the longest record id the server makes (`chatcmpl-` and 32 digits)
    log.write(**longest | {"request_id": "v" * 64, "x_request_id": "x" * 32})
    log.write(**longest | {"request_id": "chatcmpl-" + "0" * 32, "x_request_id": "y" * 32})
    lines = exported(tmp_path / "gateway.db")
    assert len(lines) == 5
    for line in lines:
        assert len((line + "\n").encode()) < RECORD_BYTES, line
    api, operated, short, widest, served = (json.loads(line) for line in lines)
    assert "x_request_id" not in api and widest["x_request_id"] == "x" * 32
    assert re.fullmatch(r"organisation-[^…]*…[0-9a-f]{8}", served["model"])  # start and hash
    assert "operator_pseudonym" not in api  # the API's records name no operator
    assert operated["operator_pseudonym"] == "o" * 16
    assert api["model"] == stored_model(LONG_MODEL)  # what a filter by model would compare
    assert re.fullmatch(r"organisation-mit-langem-namen/modell-.*…[0-9a-f]{8}", api["model"])
    assert short["model"] == "meta-llama/Llama-3.1-8B-Instruct"  # ordinary ids stay whole


def test_group_names_stay_out_of_decisions_and_are_no_unfinished_streams(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "groups", "add", "unfinished")
    admin(db, "users", "add", "anna")
    admin(db, "groups", "join", "unfinished", "anna")
    admin(db, "quotas", "set", "--group", "unfinished", "--requests-per-minute", "3")
    admin(db, "groups", "leave", "unfinished", "anna")
    admin(db, "groups", "add", "team-anna-schmidt")
    admin(db, "groups", "remove", "team-anna-schmidt")
    engine = open_store(str(db))
    AuditLog(engine).write(  # an older record that ends like a stream's: still no stream
        at=datetime(2026, 1, 1),
        request_id="admin-alt",
        route="admin:groups-add",
        status=200,
        decision="added;unfinished",
    )
    records = [json.loads(line) for line in exported(db)]
    acts = [
        r["decision"]
        for r in records
        if r["request_id"] != "admin-alt" and r["route"] in GROUP_ROUTES
    ]
    assert len(acts) == 6 and not any("unfinished" in d or "anna" in d for d in acts), acts
    assert all(re.search(r"(^|[:,])g-[0-9a-f]{16}($|,)", d) for d in acts), acts
    assert acts[0].startswith("added:g-") and acts[1].startswith("joined:g-")
    assert read_record(engine, ControllerFacts(), datetime(2027, 1, 1)).unfinished_records == 0


def test_a_bare_until_date_includes_its_day(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    log = AuditLog(open_store(str(db)))
    for request_id, local in (("silvester", "31.12.2026 18:00"), ("neujahr", "01.01.2027 00:30")):
        at = point_in_time(local, future=False, option="--since")
        log.write(at=at, request_id=request_id, route="/v1/completions", status=200, decision="x")
    ids = lambda *args: [json.loads(line)["request_id"] for line in exported(db, *args)]  # noqa: E731
    assert ids("--until", "31.12.2026")[:1] == ["silvester"]
    assert "neujahr" not in ids("--until", "31.12.2026")
    assert ids("--since", "31.12.2026", "--until", "31.12.2026")[:1] == ["silvester"]
    assert "neujahr" not in ids("--since", "2026-12-31", "--until", "2026-12-31")


def test_content_logging_switched_off_deletes_the_stored_content_at_once(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    agree_retention(engine, None, 30)
    add_user(engine, "anna")
    anna = person(engine, "anna")
    for n in range(2):
        at = datetime(2026, 5, 1)
        keep(engine, at, f"r{n}", "p" * 16, anna, "/v1/completions", "m", {"prompt": "a"}, ["b"])
    done = admin_said(db, "content", "retention", "--off")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(content_log)).scalar_one() == 0
    assert "2 gespeicherte Anfragen jetzt gelöscht" in done
    assert json.loads(exported(db)[-1])["decision"] == "off:erased=2"


def test_a_refused_start_says_running_servers_follow_without_a_restart(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    agree_retention(engine, 30, None)
    with pytest.raises(InputError) as refused:
        agree_retention(engine, 90, None)
    hint = said(refused.value.hint)
    assert "binnen Sekunden" in hint and "neu starten" not in hint


def test_a_request_reads_the_periods_from_memory_and_a_failing_database_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    agree_retention(engine, None, 7)
    idle = LivePeriods(engine, every=3600)
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    assert [idle.days(CONTENT_DAYS, None) for _ in range(50)] == [7] * 50
    assert queries == []  # no request waits for the database

    periods = LivePeriods(engine, every=0.05)
    with engine.begin() as conn:  # nonsense stored by hand: the last value read applies
        conn.execute(settings.update().values(value="sieben"))
    time.sleep(0.3)
    assert periods.days(CONTENT_DAYS, None) == 7
    with caplog.at_level(logging.WARNING, logger="gemeingut.serve"), engine.begin() as conn:
        conn.execute(text("DROP TABLE settings"))
    time.sleep(0.5)  # several reads fail
    assert periods.days(CONTENT_DAYS, None) == 7
    warned = [r for r in caplog.records if "ließ sich nicht lesen" in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]


def test_the_art_30_record_says_operator_accountability_is_no_authentication(
    tmp_path: Path,
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    document = render_record(read_record(engine, ControllerFacts(), datetime(2027, 1, 1)), "de")
    assert "keine Authentifizierung" in document and "GEMEINGUT_OPERATOR" in document
    guide = (Path(__file__).parents[3] / "docs" / "operating.md").read_text(encoding="utf-8")
    assert "not authentication" in guide and "admin content export" in guide
    assert "admin:content-export" in guide


def test_a_full_queue_says_the_same_seconds_in_its_message_and_retry_after() -> None:
    class Ticking(ModelQueue):
        """A mean that moves between two reads (another request finishing meanwhile)."""

        calls = 0

        def retry_after(self) -> int:
            self.calls += 1
            return self.calls

    queue = Ticking(max_waiting=0, max_running=1)
    queue.admit()
    with pytest.raises(APIError) as full:
        queue.admit()
    seconds = full.value.headers["Retry-After"]
    assert f"{seconds} s" in said(full.value.message)
