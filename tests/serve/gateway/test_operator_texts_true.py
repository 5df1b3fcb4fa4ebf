"""What operators and users read says only what is so: a 429 per minute mentions requests the
engine failed to answer only where some are counted; `quotas set` says that earlier use does
not count only of limits that add use up (not of streams); `keys list` calls the time a key
was last shown what it is (also a request refused for its model scope shows the key); `serve`
names the database only once it has opened it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.i18n import text
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.local_clock import local_clock
from gemeingut.serve.gateway.quotas import (
    QuotaExceeded,
    _minute_end,
    reserve,
    set_limits,
    settle,
)
from gemeingut.serve.gateway.store import open_store, writing
from tests.serve.conftest import MODEL_NAME

runner = CliRunner()


def _refusal(engine, key: str) -> str:
    with pytest.raises(QuotaExceeded) as refused:
        reserve(engine, authenticate(engine, key), 0, False, utcnow())
    return text(refused.value.message)


def test_the_per_minute_429_names_failed_requests_only_where_they_count(
    store_url: str, fresh_minute: None
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=2)
    first = reserve(engine, authenticate(engine, key), 0, False, utcnow())
    with writing(engine) as conn:  # answered
        settle(conn, first, 0)
    answered = reserve(engine, authenticate(engine, key), 0, False, utcnow())
    said = _refusal(engine, key)
    # and when the next minute begins, as the day's limit says its 00:00 (a tester missed it)
    again = text(local_clock(_minute_end(utcnow())), "de")
    assert said.endswith(f"2 Anfragen pro Minute sind aufgebraucht; warten Sie bis {again}"), said
    assert "Engine" not in said
    with writing(engine) as conn:  # the engine failed to answer this one
        settle(conn, answered, 0, failed=True)
    said = _refusal(engine, key)
    assert said.endswith(
        f"(1 davon konnte die Engine nicht beantworten: sie zählt mit); warten Sie bis {again}"
    ), said


def test_quotas_set_says_earlier_use_does_not_count_only_of_limits_that_add_up(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "gateway.db")
    add_user(open_store(db), "anna")
    streams = runner.invoke(
        app, ["admin", "quotas", "set", "--user", "anna", "--concurrent-streams", "2", "--db", db]
    )
    assert streams.exit_code == 0, streams.output
    assert "nicht angerechnet" not in streams.output and "zählt ab jetzt" not in streams.output
    tokens = runner.invoke(
        app, ["admin", "quotas", "set", "--user", "anna", "--tokens-per-day", "9", "--db", db]
    )
    assert tokens.exit_code == 0 and "ab jetzt" in tokens.output, tokens.output


def test_a_key_refused_for_its_model_scope_was_presented_and_keys_list_says_so(
    governed: tuple[str, Gateway], store_url: str
) -> None:
    url, gateway = governed
    key_id, key = create_key(gateway.engine, "anna", models=("ein-anderes-modell",))
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]}
    refused = httpx.post(
        f"{url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 403
    listed = runner.invoke(app, ["admin", "keys", "list", "--json", "--db", store_url])
    [row] = [r for r in json.loads(listed.stdout) if r["id"] == key_id]
    assert row["last_used_at"] is not None  # shown, though refused
    table = runner.invoke(app, ["admin", "keys", "list", "--db", store_url]).stdout
    assert "zuletzt vorgezeigt" in table and "zuletzt benutzt" not in table


def test_serve_names_the_database_only_once_it_opened(postgres_url: str, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    path, query = postgres_url.split("?", 1)
    missing = f"{path.rsplit('/', 1)[0]}/gibt_es_nicht?{query}"
    result = runner.invoke(app, ["serve", str(model), "--db", missing])
    assert result.exit_code != 0
    assert "jede Anfrage braucht einen ihrer Schlüssel" not in result.output
    # Our sentence first, then the driver's own words, marked as such.
    said = " ".join(result.output.split())
    assert "lässt sich nicht öffnen (in den eigenen Worten des Datenbanktreibers: " in said
    assert "gibt_es_nicht" in said
