"""An answer from a collection under a small daily token allowance. Before, the route asked for
the answer's whole `max_tokens` and a user with fewer tokens left than that got the quota's 429
every time, although the allowance held the prompt and a shorter answer. Now the answer is
asked again with what the allowance still holds (read from the quota's own refusal, as the
assistants' drafts do), the response says so, and only an allowance that holds not even a
short answer is refused. Real HTTP, a real SQLite gateway, the tiny model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.assistants.allowance import LEAST_ANSWER_TOKENS
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.apps.office_server import OfficeServer, office_server

QUESTION = "Wie hoch ist die Pauschale für mobiles Arbeiten?"
ASKED = 100  # the answer's max_tokens


class Office(OfficeServer):
    def ask(self, language: str = "de") -> httpx.Response:
        body = {"question": QUESTION, "max_tokens": ASKED}
        return self.post("/v1/collections/amt/answer", body, language=language)

    def statuses(self) -> list[int]:
        return [r["status"] for r in export(self.store) if r["route"].endswith("/answer")]


@pytest.fixture
def office(long_model_dir: Path, tmp_path: Path) -> Iterator[Office]:
    with office_server(long_model_dir, tmp_path, Office) as served:
        yield served


def test_an_answer_is_shortened_to_what_the_daily_allowance_holds(office: Office) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=1)
    refused = office.ask()
    assert refused.status_code == 429, refused.text
    quota = refused.json()["error"]["quota"]
    prompt = quota["requested"] - ASKED  # as reserved: the prompt and the answer asked for

    # the prompt and fewer tokens than a useful answer: still the quota's refusal, asked once
    set_limits(office.store, "user", "anna", tokens_per_day=prompt + LEAST_ANSWER_TOKENS - 1)
    too_small = office.ask()
    assert too_small.status_code == 429, too_small.text
    assert too_small.json()["error"]["param"] == "tokens_per_day"
    assert office.statuses() == [429, 429]

    limit = prompt + 40
    set_limits(office.store, "user", "anna", tokens_per_day=limit)
    answered = office.ask()
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["asked_model"] and body["allowance_tokens"] == 40
    assert body["note"] == (
        "Kürzer als erbeten: Das Tageskontingent reichte für diese Antwort nur für 40 Tokens."
    )
    assert 1 <= body["usage"]["completion_tokens"] <= 40
    assert body["usage"]["prompt_tokens"] == prompt
    assert office.statuses() == [429, 429, 429, 200]  # the refused try, then the shorter answer
    today = usage(office.store, "user", "anna", utcnow())
    assert today["tokens_today"] <= limit and today["tokens_reserved"] == 0


def test_an_answer_the_allowance_holds_whole_says_nothing_about_it(office: Office) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=100_000)
    body = office.ask("en").json()
    assert body["asked_model"] and body["allowance_tokens"] is None and body["note"] is None
    assert office.statuses() == [200]


def test_the_note_is_in_the_requests_language(office: Office) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=1)
    prompt = office.ask("en").json()["error"]["quota"]["requested"] - ASKED
    set_limits(office.store, "user", "anna", tokens_per_day=prompt + 30)
    body = office.ask("en").json()
    assert body["allowance_tokens"] == 30
    assert (
        body["note"]
        == "Shorter than asked: the daily token allowance held 30 tokens for this answer."
    )
