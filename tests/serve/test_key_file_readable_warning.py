"""`gemeingut serve --db` warns at its start, in German, where the pseudonym key file may be
read by others, as it does for a database file: with a copy of the database, that key ties
the audit log's pseudonyms to names."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV, SUFFIX
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.runner import _say_database, _shared_periods


def _start(db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What a start says about its database, after opening it as `serve` does."""
    _shared_periods(str(db), None, None, partial(_say_database, str(db), False))
    return " ".join(capsys.readouterr().err.split())


def test_a_key_file_others_may_read_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("GEMEINGUT_LANG", "de")
    db = tmp_path / "gateway.db"
    open_store(str(db)).dispose()
    key = Path(str(db) + SUFFIX)
    assert "Pseudonymschlüssel" not in _start(db, capsys)  # made 0600
    key.chmod(0o644)
    said = _start(db, capsys)
    assert f"Pseudonymschlüssel {key} dürfen andere Benutzer dieses Rechners lesen" in said, said
    assert "(Rechte 0644)" in said and f"chmod 600 {key}" in said
