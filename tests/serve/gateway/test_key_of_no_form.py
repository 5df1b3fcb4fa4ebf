"""A mistyped key is told what is wrong with it, over real HTTP and `/key-check` (what the
page shows): it has no key's form; nothing says it belongs to another server, which the
server cannot know. A key of the right form that the server does not know is "not valid"."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import running_server


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("gg_falsch_123", "hat nicht die Form eines Schlüssels"),
        ("gg_0123456789ab_unbekannt", "ungültig"),  # the right form, not a key here
    ],
)
def test_a_key_the_server_does_not_know_is_not_said_to_be_anothers(
    tmp_path: Path, backend: TransformersBackend, sent: str, says: str
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    create_key(engine, "anna")
    headers = {"Authorization": f"Bearer {sent}", "Accept-Language": "de"}
    with running_server(create_app(backend, gateway=Gateway(engine))) as url:
        refused = httpx.get(f"{url}/v1/models", headers=headers, timeout=30)
        checked = httpx.get(f"{url}/key-check", headers=headers, timeout=30).json()
    assert refused.status_code == 401, refused.text
    message = refused.json()["error"]["message"]
    assert checked == {"known": False, "reason": message}
    assert says in message and "Server" not in message, message
