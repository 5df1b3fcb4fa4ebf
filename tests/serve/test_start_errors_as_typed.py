"""Start errors say what the operator typed and where: the option of a missing model-card
folder, an unset variable as unset (not empty), a database URL as typed (not as rewritten for
the driver), and a PostgreSQL URL short of `://` as a URL, not a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.store import database_url, open_store
from gemeingut.serve.runner import resolve_model_dir
from gemeingut.serve.secrets import secret_from_environment


@pytest.fixture(autouse=True)
def _german(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "de")


def _said(error: pytest.ExceptionInfo[InputError]) -> str:
    return f"{text(error.value.message)} | {text(error.value.hint)}"


def test_a_missing_model_card_folder_names_its_option(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        resolve_model_dir(tmp_path / "x", "--model-card")
    assert f"--model-card {tmp_path / 'x'} existiert nicht" in _said(raised)


def test_an_unset_variable_is_not_set_and_an_empty_one_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GEMEINGUT_TEST_NOPE", raising=False)
    with pytest.raises(InputError) as raised:
        secret_from_environment("GEMEINGUT_TEST_NOPE", "")
    assert "GEMEINGUT_TEST_NOPE ist nicht gesetzt" in _said(raised)
    monkeypatch.setenv("GEMEINGUT_TEST_NOPE", "")
    with pytest.raises(InputError) as raised:
        secret_from_environment("GEMEINGUT_TEST_NOPE", "")
    assert "GEMEINGUT_TEST_NOPE ist leer" in _said(raised)


def test_a_url_without_its_colon_is_said_as_a_url() -> None:
    for typed in ("postgresql//gemeingut@db/gateway", "postgres:/db/gateway"):
        with pytest.raises(InputError) as raised:
            database_url(typed)
        assert f"--db {typed} ist weder ein Dateipfad noch eine Datenbank-URL" in _said(raised)
        assert "postgresql://" in _said(raised)
    assert database_url("postgres/gateway.db").startswith("sqlite:///")  # a folder named so


def test_a_database_that_fails_is_named_as_typed(tmp_path: Path) -> None:
    typed = f"postgres://gemeingut:geheim@/gateway?host={tmp_path}&connect_timeout=2"
    with pytest.raises(InputError) as raised:
        open_store(typed)
    said = _said(raised)
    assert "postgres://gemeingut:***@/gateway" in said, said
    assert "postgresql+psycopg" not in said and "geheim" not in said
