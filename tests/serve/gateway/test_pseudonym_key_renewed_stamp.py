"""When a new pseudonym key replaced a lost one is kept as every stored time in ISO 8601 is
(`local_clock.iso_utc`), to the second, in the form earlier versions kept it: the record of
processing activities gives it as stored, and a server started with the key from before it is
told when that was, in its local time."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.local_clock import iso_utc, local_date_time
from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, RENEWED, SUFFIX
from gemeingut.serve.gateway.records import ControllerFacts, as_json, read_record
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import settings


def test_the_new_keys_time_is_stored_as_iso_utc_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    key = Path(str(db) + SUFFIX)
    open_store(str(db)).dispose()
    old_key = tmp_path / "old-key"
    shutil.move(key, old_key)  # lost: kept elsewhere, as a backup would
    before = utcnow().replace(microsecond=0)
    engine = open_store(str(db), lost_key=True)
    after = utcnow()
    with engine.connect() as conn:
        stored = conn.execute(select(settings.c.value).where(settings.c.name == RENEWED))
        renewed = stored.scalar_one()
    at = datetime.fromisoformat(renewed).replace(tzinfo=None)
    assert before <= at <= after and renewed == iso_utc(at) and renewed.endswith("Z")
    record = as_json(read_record(engine, ControllerFacts(), utcnow()))
    assert record["pseudonym_key_renewed"] == renewed
    engine.dispose()
    shutil.copy(old_key, key)  # the key from before it, where the server starts
    with pytest.raises(InputError) as refused:
        open_store(str(db))
    said = f"die am {text(local_date_time(at))} einen neuen Schlüssel bekommen hat"
    assert said in text(refused.value.message)
