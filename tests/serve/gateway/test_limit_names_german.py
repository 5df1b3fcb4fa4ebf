"""A refusal names each limit in words of its reader's language („Anfragen pro Minute“ in
German, 'requests per minute' in English), never by its API identifier inside a sentence
(`requests_per_minute von Person …` before); the identifier stays where programs read it: the
429's JSON `param`, the refusal's facts, `--lift`."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.i18n import text
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, authenticate, create_key
from gemeingut.serve.gateway.quotas import LIMITS, QuotaExceeded, reserve, set_limits
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

NOON = datetime(2026, 12, 3, 12, 0, 30)
IDENTIFIER = re.compile(r"requests_per_minute|tokens_per_day|concurrent_streams")
NAMES = {
    "de": {
        "requests_per_minute": "„Anfragen pro Minute“",
        "tokens_per_day": "„Tokens pro Tag“",
        "concurrent_streams": "„gleichzeitige Streams“",
    },
    "en": {
        "requests_per_minute": "'requests per minute'",
        "tokens_per_day": "'tokens per day'",
        "concurrent_streams": "'concurrent streams'",
    },
}
# Each wording of each limit's refusal: the limits, and the request that meets them.
CASES = [
    ({"requests_per_minute": 0}, 10, False, True),
    ({"requests_per_minute": 1}, 10, False, True),
    ({"requests_per_minute": 2}, 10, False, True),
    ({"tokens_per_day": 0}, 10, False, True),
    ({"tokens_per_day": 50}, 60, False, True),  # more than a whole day, answering
    ({"tokens_per_day": 50}, 60, False, False),  # more than a whole day, input only
    ({"tokens_per_day": 50}, 30, False, True),  # today's rest is too little, answering
    ({"tokens_per_day": 50}, 30, False, False),  # the same, input only
    ({"concurrent_streams": 0}, 10, True, True),
    ({"concurrent_streams": 1}, 10, True, True),
    ({"concurrent_streams": 2}, 10, True, True),
]


def refused(tmp_path: Path, limits: dict[str, int], tokens: int, stream: bool, answers: bool):
    """The refusal of the request that meets `limits` (those before it fill them)."""
    store = open_store(str(tmp_path / f"{len(list(tmp_path.iterdir()))}.db"))
    add_user(store, "anna")
    principal = authenticate(store, create_key(store, "anna")[1])
    set_limits(store, "user", "anna", **limits)
    for _ in range(3):
        try:
            reserve(store, principal, tokens, stream=stream, now=NOON, answers=answers)
        except QuotaExceeded as exceeded:
            store.dispose()
            return exceeded
    raise AssertionError(f"{limits} never refused")


@pytest.mark.parametrize(("limits", "tokens", "stream", "answers"), CASES)
def test_every_refusal_names_its_limit_in_words(
    tmp_path: Path, limits: dict[str, int], tokens: int, stream: bool, answers: bool
) -> None:
    exceeded = refused(tmp_path, limits, tokens, stream, answers)
    [name] = limits
    assert exceeded.refusal.name == name  # for programs: the 429's `param`
    for language, names in NAMES.items():
        said = text(exceeded.message, language)
        assert not IDENTIFIER.search(said), said
        assert names[name] in said, said
        if name == "concurrent_streams":  # it points to the limits that hold other requests
            assert names["requests_per_minute"] in said and names["tokens_per_day"] in said


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_429_says_the_name_and_keeps_the_identifier_in_param(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "group", "schule", requests_per_minute=0)
    chat = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]}
    said = {}
    for language in ("de", "en"):
        headers = {"authorization": f"Bearer {key}", "accept-language": language}
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat, headers=headers, timeout=30)
        assert answer.status_code == 429
        said[language] = answer.json()["error"]
    assert said["de"]["message"] == (
        "die Grenze „Anfragen pro Minute“ von Gruppe schule (eine Grenze für alle Mitglieder "
        "zusammen) ist 0: keine Anfragen erlaubt"
    )
    assert said["en"]["message"] == (
        "the limit 'requests per minute' of group schule (one limit for all its members "
        "together) is 0: no requests are allowed"
    )
    assert said["de"]["param"] == said["en"]["param"] == "requests_per_minute"
    assert said["de"]["code"] == "rate_limit_exceeded"


def test_the_admin_command_names_the_limit_it_refuses_in_words(tmp_path: Path) -> None:
    db = str(tmp_path / "gateway.db")
    store = open_store(db)
    add_group(store, "schule")
    for name in LIMITS:
        option = "--" + name.replace("_", "-")
        args = ["quotas", "set", "--db", db, "--group", "schule", option, "5", "--lift", name]
        result = CliRunner().invoke(cli_app, ["admin", *args])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert f"{NAMES['de'][name]} wird zugleich gesetzt und aufgehoben" in said, said
        assert f"--lift {name}" in said  # the option keeps its identifier
