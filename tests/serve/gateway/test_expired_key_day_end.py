"""A key that expired at local midnight, as `--expires 31.01.2020` makes one, is said by its
401 with the date that was typed („31.01.2020, 24:00 Uhr (MEZ)“), as `keys list` says it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import running_server
from tests.server_zone import berlin  # noqa: F401 (a fixture)

BERLIN_MIDNIGHT = datetime(2020, 1, 31, 23, 0)  # naive UTC: 01.02.2020 00:00 in Berlin


@pytest.mark.usefixtures("berlin")
def test_a_key_expired_at_midnight_is_said_with_the_day_it_still_worked(
    tmp_path: Path, backend: TransformersBackend
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _key_id, key = create_key(engine, "anna", expires_at=BERLIN_MIDNIGHT)
    with running_server(create_app(backend, gateway=Gateway(engine))) as url:
        answer = httpx.get(
            f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
    assert answer.status_code == 401, answer.text
    message = answer.json()["error"]["message"]
    assert "ist am 31.01.2020, 24:00 Uhr (MEZ) abgelaufen" in message, message
