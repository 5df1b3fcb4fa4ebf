"""A value longer than a `settings` row (a folder's path) is stored in pieces by one helper for
the deployment's record and the remembered findings files; before, each had its own naming
(`NAME`, `NAME.1` … and `NAME.0`, `NAME.1` …). A database whose findings files were
remembered the old way reads as it is, and remembering such a file again keeps it one file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from gemeingut.serve.findings_files import PREFIX, findings_files, remember_findings_file
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.records import ControllerFacts, read_record, record_deployment
from gemeingut.serve.gateway.records_servers import STAMP, this_process
from gemeingut.serve.gateway.store import open_store, writing
from gemeingut.serve.gateway.tables import settings


def long_path(root: Path, name: str) -> Path:
    """A path of more than two rows of `settings.value`."""
    return root.joinpath(*[name * 40] * 12, "findings.jsonl")


def stored_names(engine, prefix: str) -> list[str]:
    with engine.connect() as conn:
        query = select(settings.c.name).where(settings.c.name.startswith(prefix))
        return sorted(conn.execute(query).scalars())


def test_a_findings_file_remembered_the_old_way_reads_and_stays_one(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    old, new = long_path(tmp_path, "a"), long_path(tmp_path, "b")
    where = str(old.resolve())
    name = PREFIX + hashlib.sha256(where.encode()).hexdigest()[:32]
    with writing(engine) as conn:  # as `remember_findings_file` stored it before: NAME.0 …
        for number, start in enumerate(range(0, len(where), 200)):
            value = where[start : start + 200]
            conn.execute(settings.insert().values(name=f"{name}.{number}", value=value))
    assert findings_files(engine) == [old.resolve()]
    remember_findings_file(engine, old)
    remember_findings_file(engine, new)
    assert sorted(findings_files(engine)) == sorted([old.resolve(), new.resolve()])
    pieces = len(str(new.resolve())) // 200 + 1
    newly = hashlib.sha256(str(new.resolve()).encode()).hexdigest()[:32]
    assert [n for n in stored_names(engine, PREFIX) if newly in n] == [
        PREFIX + newly + (f".{number}" if number else "") for number in range(pieces)
    ]


def test_a_long_deployment_fact_is_replaced_whole(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    folder = str(long_path(tmp_path, "c").parent)
    now = utcnow()  # a start the record counts: within `KEEP_DAYS` of it
    started = now.strftime(STAMP)
    setup = lambda: read_record(engine, ControllerFacts(), now).deployment  # noqa: E731
    record_deployment(engine, {"collections": folder, "model": "tiny-llama", "started": started})
    assert setup()["collections"] == folder
    name = f"server.{this_process()}.collections"
    assert len(stored_names(engine, name)) == len(folder) // 200 + 1
    record_deployment(engine, {"collections": "/kurz", "model": None, "started": started})
    facts = setup()
    assert facts["collections"] == "/kurz" and "model" not in facts
    assert stored_names(engine, name) == [name]
