"""The key of the audit log's pseudonyms lies apart from the database: whoever got a copy of
the database (a backup, an export) had the key with it and could tie every record to a person
by computing the pseudonyms of the user table's entries. It is a file readable by its owner
only (beside a SQLite database, or where `GEMEINGUT_PSEUDONYM_KEY` names); a database from
before gives its key to the file on its first start, and keeps every pseudonym."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.errors import InputError
from gemeingut.serve.gateway.audit_log import AuditLog, export
from gemeingut.serve.gateway.identity import (
    add_user,
    authenticate,
    create_key,
    user_pseudonym_source,
    utcnow,
)
from gemeingut.serve.gateway.pseudonym_key import CHECK, IN_DATABASE, KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.records import ControllerFacts, read_record
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import settings


def stored_settings(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(settings.c.name, settings.c.value)).all())


def a_record_of(engine: Engine, token: str) -> str:
    """Write a record for the key `token` as the server does; its pseudonym as the log holds it."""
    principal = authenticate(engine, token)
    AuditLog(engine).write(
        principal=principal,
        at=utcnow(),
        request_id=uuid.uuid4().hex,
        key_id=principal.key_id,
        route="/v1/chat/completions",
        status=200,
        decision="allowed",
    )
    return list(export(engine))[-1]["user_pseudonym"]


@pytest.fixture
def key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "schluessel" / "pseudonym-key"
    path.parent.mkdir()
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path


def test_a_new_database_keeps_no_key_and_the_file_is_its_owners(
    store_url: str, key_path: Path
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, token = create_key(engine, "anna")
    written = a_record_of(engine, token)
    key = bytes.fromhex(key_path.read_text())
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert IN_DATABASE not in stored_settings(engine)
    assert key.hex() not in str(stored_settings(engine))
    source = user_pseudonym_source(engine, "anna")
    assert written == hmac.new(key, source.encode(), hashlib.sha256).hexdigest()[:16]
    engine.dispose()
    # a copy of the database without the key file (restored elsewhere) is refused, not given a
    # new key whose pseudonyms would no longer match the log's
    key_path.rename(key_path.with_name("anderswo"))
    with pytest.raises(InputError) as refused:
        open_store(store_url)
    assert str(key_path) in str(refused.value)


def test_a_database_from_before_moves_its_key_out_and_keeps_every_pseudonym(
    store_url: str, key_path: Path
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, token = create_key(engine, "anna")
    key = key_path.read_text().strip()
    with engine.begin() as conn:  # as every database kept it before
        conn.execute(delete(settings).where(settings.c.name == CHECK))
        conn.execute(settings.insert().values(name=IN_DATABASE, value=key))
    key_path.unlink()
    before = a_record_of(engine, token)
    engine.dispose()
    engine = open_store(store_url)
    assert key_path.read_text().strip() == key
    assert IN_DATABASE not in stored_settings(engine)
    assert person_pseudonym(engine, "anna") == before
    assert a_record_of(engine, token) == before
    engine.dispose()


def test_a_key_file_of_another_database_is_refused(tmp_path: Path, key_path: Path) -> None:
    open_store(str(tmp_path / "erste.db")).dispose()
    first = key_path.read_text()
    key_path.unlink()
    open_store(str(tmp_path / "zweite.db")).dispose()
    key_path.write_text(first)  # the first database's key, given to the second
    with pytest.raises(InputError) as refused:
        open_store(str(tmp_path / "zweite.db"))
    assert str(refused.value.args[0]).endswith("ist nicht der Pseudonymschlüssel dieser Datenbank")


def test_without_the_variable_the_key_lies_beside_a_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    beside = Path(str(db) + SUFFIX)
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600
    assert beside.read_text().strip() not in db.read_bytes().decode("latin-1")
    engine.dispose()


def test_the_record_of_processing_says_where_the_key_lies(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Read off the store, not stated: apart (SQLite, or the variable set), or in the database
    (PostgreSQL without the variable, as before)."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    engine = open_store(store_url)
    record = read_record(engine, ControllerFacts(), utcnow())
    apart = not store_url.startswith("postgresql")
    assert record.pseudonym_key_apart is apart
    said = render_record(record, "en")
    assert ("kept apart from the database" in said) is apart
    assert ("**The pseudonym key is kept in the database**" in said) is not apart
    engine.dispose()
    if not apart:  # named now: moved out of the database, and the record says so
        monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "pseudonym-key"))
        engine = open_store(store_url)
        assert read_record(engine, ControllerFacts(), utcnow()).pseudonym_key_apart
        assert IN_DATABASE not in stored_settings(engine)
        engine.dispose()


def test_a_key_file_that_cannot_be_written_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link beside the database to a key on a disk not mounted (or a folder the server may
    not write) ended in a traceback (FileExistsError, PermissionError) at the start."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    beside = Path(str(db) + SUFFIX)
    beside.symlink_to(tmp_path / "nicht-eingehaengt" / "pseudonym-key")
    with pytest.raises(InputError) as refused:
        open_store(str(db))
    assert str(refused.value.args[0]).startswith(
        f"der Pseudonymschlüssel {beside} kann nicht geschrieben werden"
    ), refused.value.args


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another owner")
def test_a_key_that_root_writes_belongs_to_the_owner_of_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sudo gemeingut admin …` on a database from before moved its key into a file only root
    could read: the server, running as the folder's owner, refused its next start."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    folder = tmp_path / "gemeingut"
    folder.mkdir()
    os.chown(folder, 4242, 4343)
    engine = open_store(str(folder / "gateway.db"))
    beside = folder / ("gateway.db" + SUFFIX)
    owner = beside.stat()
    assert (owner.st_uid, owner.st_gid, stat.S_IMODE(owner.st_mode)) == (4242, 4343, 0o600)
    engine.dispose()


def test_the_record_says_the_key_is_private_only_while_its_file_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read off the file when the record is made: it said "readable by its owner only" of a
    key file an operator had opened to everyone (`chmod 644`, to copy it to a second server)."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    Path(str(db) + SUFFIX).chmod(0o644)
    record = read_record(engine, ControllerFacts(), utcnow())
    assert record.pseudonym_key_apart and not record.pseudonym_key_private
    said = render_record(record, "en")
    assert "but in a file that others than its owner may read" in said
    assert "in a file readable by its owner only" not in said
    assert "auch andere als ihr Eigentümer lesen dürfen" in render_record(record, "de")
    Path(str(db) + SUFFIX).chmod(0o600)
    record = read_record(engine, ControllerFacts(), utcnow())
    assert record.pseudonym_key_private
    assert "in a file readable by its owner only" in render_record(record, "en")
    engine.dispose()
