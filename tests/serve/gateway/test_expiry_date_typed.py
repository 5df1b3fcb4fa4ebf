"""A key made with `--expires 31.01.2027` works all that day; input, `keys list` and the
refusal of a date in the past all name the date that was typed, as the 401 writes a time
(„31.01.2027, 24:00 Uhr (MEZ)“), not the next day's 00:00. The zone is the process's `TZ`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from tests.server_zone import berlin  # noqa: F401 (a fixture)

runner = CliRunner()


def admin(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["admin", *args, "--db", str(db)])
    return result.exit_code, result.output


@pytest.mark.usefixtures("berlin")
def test_keys_list_names_the_expiry_date_that_was_typed(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna")[0] == 0
    assert admin(db, "keys", "create", "--user", "anna", "--expires", "31.01.2027")[0] == 0
    code, table = admin(db, "keys", "list")
    assert code == 0, table
    assert "31.01.2027, 24:00 Uhr (MEZ)" in table, table
    assert "2027-02-01" not in table and "01.02.2027" not in table, table
    code, listed = admin(db, "keys", "list", "--json")  # a script keeps the instant, in UTC
    assert json.loads(listed)[0]["expires_at"] == "2027-01-31T23:00:00Z"


@pytest.mark.usefixtures("berlin")
def test_an_expiry_with_a_time_reads_back_as_typed(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    assert admin(db, "keys", "create", "--user", "anna", "--expires", "31.01.2027 18:00")[0] == 0
    assert "31.01.2027, 18:00 Uhr (MEZ)" in admin(db, "keys", "list")[1]


@pytest.mark.usefixtures("berlin")
def test_a_past_date_is_refused_naming_the_date_typed(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    code, said = admin(db, "keys", "create", "--user", "anna", "--expires", "01.01.2020")
    assert code == 2, said
    assert "(01.01.2020, 24:00 Uhr (MEZ))" in said and "02.01.2020" not in said, said
