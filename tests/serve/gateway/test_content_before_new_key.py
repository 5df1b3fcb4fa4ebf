"""After `gemeingut admin audit new-pseudonym-key`, a person's earlier content and records are
kept under a pseudonym nobody can make any more. `admin content export --user` answered "von
m.mueller ist keine Anfrage protokolliert" while the log still held her prompt, and `users
remove` left it behind in silence. Now they, `audit export --user` and the key command itself
say how many entries are from before the new key (counted in the database), and `admin
content erase --before-key-change` erases them, with a record in the audit log."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.content_log import as_sent, keep, stored_requests
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.store import open_store
from tests.serve.gateway.test_pseudonym_key_apart import a_record_of

runner = CliRunner()
PERSON = "m.mueller"
ERASE = ("content", "erase", "--before-key-change")


def admin(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--lang", "de", "admin", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def logged(db: Path, token: str, prompt: str) -> None:
    """One request of the key `token` as the server keeps it: its record and its content."""
    engine = open_store(str(db))
    try:
        pseudonym = a_record_of(engine, token)
        principal = authenticate(engine, token)
        request = uuid.uuid4().hex
        sent = as_sent([prompt])
        keep(engine, utcnow(), request, pseudonym, principal, "/v1/chat", "m", sent, ["Ja."])
    finally:
        engine.dispose()


def a_person_who_asked(db: Path) -> str:
    """`PERSON` with a key and one logged request; the key."""
    engine = open_store(str(db))
    add_user(engine, PERSON)
    _, token = create_key(engine, PERSON)
    engine.dispose()
    logged(db, token, "Wie beantrage ich Elterngeld?")
    return token


@pytest.fixture
def renewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """A person's logged request, then the key file lost and replaced; the command's output."""
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    db = tmp_path / "gateway.db"
    token = a_person_who_asked(db)
    Path(str(db) + SUFFIX).unlink()
    said = admin(db, "audit", "new-pseudonym-key", "--yes")
    return db, token, said


def test_the_new_key_names_the_content_it_parts_from_people(
    renewed: tuple[Path, str, str],
) -> None:
    _db, _token, said = renewed
    assert "1 Eintrag des Inhaltsprotokolls stammt aus der Zeit vor dem neuen" in said, said
    assert "lässt sich niemandem mehr zuordnen" in said and " ".join(ERASE) in said


def test_export_and_removal_say_what_they_cannot_see(renewed: tuple[Path, str, str]) -> None:
    db, _token, _said = renewed
    exported = admin(db, "content", "export", "--user", PERSON)
    assert "nichts exportiert" in exported
    assert "1 Eintrag des Inhaltsprotokolls stammt aus der Zeit vor dem neuen" in exported
    assert f"womöglich auch einer von {PERSON}" in exported, exported
    records = admin(db, "audit", "export", "--user", PERSON)
    assert "1 Protokolleintrag einer Person stammt aus der Zeit vor dem neuen" in records, records
    removed = admin(db, "users", "remove", PERSON, "--yes")
    assert "1 Eintrag des Inhaltsprotokolls" in removed and "1 Protokolleintrag" in removed
    assert " ".join(ERASE) in removed, removed


def test_the_erasure_removes_only_what_is_from_before_and_is_audited(
    renewed: tuple[Path, str, str],
) -> None:
    db, token, _said = renewed
    logged(db, token, "Und wie lange dauert das?")  # under the new key: hers, found by name
    erased = admin(db, *ERASE, "--yes", "--operator", "olaf")
    assert "1 protokollierte Anfrage aus der Zeit vor dem neuen Pseudonymschlüssel" in erased
    engine = open_store(str(db))
    assert stored_requests(engine) == 1
    [act] = [r for r in export(engine) if r["route"] == "admin:content-erase"]
    assert act["decision"] == "erased_before_key:1" and act["operator_pseudonym"]
    engine.dispose()
    exported = admin(db, "content", "export", "--user", PERSON)
    assert "1 protokollierte Anfrage von m.mueller exportiert" in exported
    assert "Inhaltsprotokolls" not in exported, exported
    again = admin(db, *ERASE, "--yes")
    assert "ist keine Anfrage protokolliert: nichts gelöscht" in again, again


def test_without_a_new_key_there_is_nothing_to_erase_and_nothing_to_say(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    a_person_who_asked(db)
    exported = admin(db, "content", "export", "--user", PERSON)
    assert exported.endswith("1 protokollierte Anfrage von m.mueller exportiert"), exported
    refused = runner.invoke(app, ["--lang", "de", "admin", *ERASE, "--yes", "--db", str(db)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "wurde nie ersetzt" in refused.output, refused.output
