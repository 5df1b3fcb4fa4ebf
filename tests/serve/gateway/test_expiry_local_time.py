"""An expired key is said with its expiry in the server's local date and time, the zone named
(„31.01.2026, 18:00 Uhr (MEZ)“, "2026-07-31 19:00 (CEST)"), not in UTC that people must
convert: the 401 over real HTTP, a rotation of the expired key, and `admin keys create` with an
expiry in the past. Local midnight, the end of a day `--expires 31.01.2020` names, is said
with that day („31.01.2020, 24:00 Uhr (MEZ)“), as `keys list` says it. The zone is the
process's `TZ` (Europe/Berlin here)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, rotate_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import running_server
from tests.server_zone import berlin  # noqa: F401 (a fixture)

WINTER = datetime(2026, 1, 31, 17, 0)  # naive UTC, as the tables keep time: 18:00 in Berlin
SUMMER = datetime(2026, 7, 31, 17, 0)  # 19:00 in Berlin, summer time
MIDNIGHT = datetime(2020, 1, 31, 23, 0)  # 01.02.2020 00:00 in Berlin: 31.01., 24:00


@pytest.mark.usefixtures("berlin")
def test_an_expired_keys_401_says_its_expiry_in_the_servers_local_time(
    tmp_path: Path, backend: TransformersBackend
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    keys = {at: create_key(engine, "anna", expires_at=at) for at in (WINTER, SUMMER, MIDNIGHT)}
    expected = {
        (WINTER, "de"): "ist am 31.01.2026, 18:00 Uhr (MEZ) abgelaufen",
        (WINTER, "en"): "expired on 2026-01-31 18:00 (CET)",
        (SUMMER, "de"): "ist am 31.07.2026, 19:00 Uhr (MESZ) abgelaufen",
        (SUMMER, "en"): "expired on 2026-07-31 19:00 (CEST)",
        (MIDNIGHT, "de"): "ist am 31.01.2020, 24:00 Uhr (MEZ) abgelaufen",
        (MIDNIGHT, "en"): "expired on 2020-01-31 24:00 (CET)",
    }
    with running_server(create_app(backend, gateway=Gateway(engine))) as url:
        for (at, language), said in expected.items():
            key_id, key = keys[at]
            answer = httpx.get(
                f"{url}/v1/models",
                headers={"Authorization": f"Bearer {key}", "Accept-Language": language},
                timeout=30,
            )
            assert answer.status_code == 401, answer.text
            message = answer.json()["error"]["message"]
            assert key_id in message and said in message and "UTC" not in message, message


@pytest.mark.usefixtures("berlin")
def test_rotating_an_expired_key_says_its_expiry_in_local_time(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    key_id, _key = create_key(engine, "anna", expires_at=WINTER)
    with pytest.raises(InputError) as refused:
        rotate_key(engine, key_id)
    said = text(refused.value.message, "de")
    assert said == (
        f"der Schlüssel {key_id} ist am 31.01.2026, 18:00 Uhr (MEZ) abgelaufen: seine Kopie "
        "würde nie funktionieren"
    )


@pytest.mark.usefixtures("berlin")
def test_an_expiry_in_the_past_is_said_back_in_local_time(tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.db")
    add_user(open_store(db), "anna")
    # a bare date is the end of that day in local time, said as the date typed: 24:00 in Berlin
    args = ["admin", "keys", "create", "--user", "anna", "--expires", "2020-01-01", "--db", db]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "(01.01.2020, 24:00 Uhr (MEZ))" in result.output, result.output
    assert "UTC" not in result.output


@pytest.mark.parametrize("typo", ["Europe/Berlln", "Nowhere/Foo"])
def test_a_tz_that_names_no_zone_is_said_as_utc(
    typo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C library keeps UTC for such a `TZ` but names it after the text ("Europe"): said
    so, Berlin's readers would take 00:00 for their own midnight."""
    monkeypatch.setenv("TZ", typo)
    time.tzset()
    try:
        db = str(tmp_path / "gateway.db")
        add_user(open_store(db), "anna")
        args = ["admin", "keys", "create", "--user", "anna", "--expires", "2020-01-01", "--db", db]
        result = CliRunner().invoke(app, args)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.exit_code == 2, result.output
    assert "(01.01.2020, 24:00 Uhr (UTC))" in result.output, result.output
