"""A lost pseudonym key file is replaced by `gemeingut admin audit new-pseudonym-key --yes`,
deliberately: before, the operating guide told the operator to delete the key's check value by
hand, which left no trace. The command refuses without `--yes` and where the key is not lost;
it writes a new key file (its owner's only), records the event in the audit log, and the
record of processing activities says since when the earlier pseudonyms belong to nobody."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.store import open_store
from tests.serve.gateway.conftest import fresh_database
from tests.serve.gateway.test_pseudonym_key_apart import a_record_of as record_for_key

runner = CliRunner()
COMMAND = ("audit", "new-pseudonym-key")


def admin(db: Path, *args: str, language: str | None = None):  # type: ignore[no-untyped-def]
    env = {"GEMEINGUT_LANG": language} if language else {}
    return runner.invoke(app, ["admin", *args, "--db", str(db)], env=env)


def a_record_of(db: Path, token: str) -> str:
    """A request's record as the server writes it, in the database at `db`; its pseudonym."""
    engine = open_store(str(db))
    try:
        return str(record_for_key(engine, token))
    finally:
        engine.dispose()


@pytest.fixture
def lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A SQLite database with one person's record whose key file beside it is gone."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, token = create_key(engine, "anna")
    engine.dispose()
    a_record_of(db, token)
    Path(str(db) + SUFFIX).unlink()
    return db, token


def test_a_lost_key_is_replaced_by_the_command_and_the_event_is_recorded(
    lost: tuple[Path, str],
) -> None:
    db, token = lost
    beside = Path(str(db) + SUFFIX)
    with pytest.raises(InputError) as refused:  # the servers refuse to start without it
        open_store(str(db))
    assert "admin audit new-pseudonym-key" in str(refused.value)

    unconfirmed = admin(db, *COMMAND)
    assert unconfirmed.exit_code == 2, unconfirmed.output
    assert "--yes" in unconfirmed.output and not beside.exists()

    made = admin(db, *COMMAND, "--yes", "--operator", "olaf")
    assert made.exit_code == 0, made.output
    assert str(beside) in made.output.replace("\n", "")
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600

    engine = open_store(str(db))  # starts again, with the new key
    [earlier, event] = export(engine)
    assert (event["route"], event["decision"]) == (
        "admin:audit-new-pseudonym-key",
        "new_pseudonym_key",
    )
    assert event["operator_pseudonym"] and event["user_pseudonym"] is None
    assert a_record_of(db, token) != earlier["user_pseudonym"]  # no longer linkable
    german = admin(db, "audit", "records").output
    english = admin(db, "audit", "records", language="en").output
    assert "bewusst durch einen neuen ersetzt" in german, german
    assert "deliberately replaced by a new one" in english, english
    engine.dispose()


def test_a_key_that_is_there_is_not_replaced(lost: tuple[Path, str]) -> None:
    db, _token = lost
    assert admin(db, *COMMAND, "--yes").exit_code == 0
    key = Path(str(db) + SUFFIX).read_text()
    again = admin(db, *COMMAND, "--yes", language="en")
    assert again.exit_code == 2, again.output
    assert "is not lost" in again.output and "move the file away first" in again.output
    assert Path(str(db) + SUFFIX).read_text() == key
    assert [r["route"] for r in export(open_store(str(db)))].count(
        "admin:audit-new-pseudonym-key"
    ) == 1


def test_the_operating_guide_names_the_command_not_a_hand_made_delete() -> None:
    guide = Path(__file__).parents[3] / "docs" / "operating.md"
    said = guide.read_text(encoding="utf-8")
    assert "gemeingut admin audit new-pseudonym-key" in said
    assert "DELETE FROM settings" not in said


def test_a_key_kept_in_postgresql_is_not_lost(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL without `GEMEINGUT_PSEUDONYM_KEY` keeps the key in the database: nothing is
    lost, and the refusal says so (before: "needs a file to go to", as if it were lost)."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    url = fresh_database(postgres_url, "held_key")
    open_store(url).dispose()
    refused = runner.invoke(app, ["admin", *COMMAND, "--db", url, "--yes"])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "in der Datenbank" in said and KEY_FILE_ENV in said, said


def test_a_database_that_fails_leaves_a_key_file_that_was_there(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command run where the key is not lost, while the database cannot answer (here its
    `settings` table stays locked past `lock_timeout`): a clear error, and the key file that
    was there stays. Cleaning up after a failed commit removes only a file the command wrote."""
    from sqlalchemy import create_engine

    key = tmp_path / "pseudonym-key"
    monkeypatch.setenv(KEY_FILE_ENV, str(key))
    url = fresh_database(postgres_url, "locked_key")
    open_store(url).dispose()
    kept = key.read_text()
    locker = create_engine(url)
    with locker.begin() as conn:
        conn.exec_driver_sql("LOCK TABLE settings IN ACCESS EXCLUSIVE MODE")
        monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=100")
        failed = runner.invoke(app, ["admin", *COMMAND, "--db", url, "--yes"])
    locker.dispose()
    assert failed.exit_code == 2, failed.output
    assert "Traceback" not in failed.output and key.read_text() == kept
