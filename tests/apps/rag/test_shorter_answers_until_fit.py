"""`gemeingut rag query --answer --endpoint` against a server where two daily token allowances
apply, the group's and the person's: the group's refusal leaves an answer shorter than asked,
which the person's smaller allowance refuses again. Before, the command shortened an answer
once and gave up on the second refusal although a still shorter answer fitted; now it asks
again, each time shorter, until the answer fits, and where none fits it says what is left of
the allowance and when it renews. (`gemeingut assist` asks through the same `Chat.ask`.) Real
HTTP on loopback, a real SQLite gateway, the tiny model; the refusals are the server's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.assistants.allowance import LEAST_ANSWER_TOKENS
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.apps.office_server import OfficeServer, office_server
from tests.test_cli import invoke


class Office(OfficeServer):
    def query(self, *lang: str):
        return invoke(
            *lang, "rag", "query", "amt", "Pauschale", "--answer", "--root", self.root,
            "--endpoint", f"{self.url}/v1", "--json",
        )  # fmt: skip

    def answers(self) -> list[dict]:
        return [r for r in export(self.store) if r["route"] == "/v1/chat/completions"]

    def statuses(self) -> list[int]:
        return [r["status"] for r in self.answers()]

    def taken(self) -> int:
        """The tokens anna's answers took today (her quota's `used`)."""
        return usage(self.store, "user", "anna", utcnow())["tokens_today"]

    def prompt(self, *lang: str) -> int:
        """The prompt's tokens in the language of `lang` (its instructions are in it), from
        an answer the allowance held whole."""
        set_limits(self.store, "user", "anna", tokens_per_day=100_000)
        whole = self.query(*lang)
        assert whole.exit_code == 1, said(whole)  # answered; the random model cites nothing
        assert json.loads(whole.stdout)["allowance_tokens"] is None
        return self.answers()[-1]["prompt_tokens"]


@pytest.fixture
def office(
    long_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Office]:
    with office_server(long_model_dir, tmp_path, Office) as served:
        monkeypatch.setenv("GEMEINGUT_API_KEY", served.keys["anna"][1])
        yield served


def said(result) -> str:
    return " ".join(result.output.split())


def test_an_answer_refused_again_when_shortened_is_shortened_again_until_it_fits(
    office: Office,
) -> None:
    prompt = office.prompt()
    # the group's allowance (checked first, new: counting from now) holds 60 answer tokens,
    # anna's own only 30: the first shorter answer (60) is refused by hers, the next fits
    set_limits(office.store, "group", "amt", tokens_per_day=prompt + 60)
    limit = office.taken() + prompt + 30
    set_limits(office.store, "user", "anna", tokens_per_day=limit)
    result = office.query()
    assert result.exit_code == 1, said(result)  # answered; the random model cites nothing
    assert office.statuses() == [200, 429, 429, 200]  # 400 tokens, 60, then 30
    refused = [r["decision"] for r in office.answers()[1:3]]
    assert refused == ["quota:tokens_per_day"] * 2
    assert 1 <= office.answers()[-1]["completion_tokens"] <= 30
    shown = json.loads(result.stdout)
    assert shown["allowance_tokens"] == 30
    assert shown["note"] == (
        "Kürzer als erbeten: Das Tageskontingent reichte für diese Antwort nur für 30 Tokens."
    )
    assert office.taken() <= limit


def test_where_no_useful_answer_is_left_it_says_what_is_left_and_when_it_renews(
    office: Office,
) -> None:
    prompt = office.prompt()
    set_limits(office.store, "group", "amt", tokens_per_day=prompt + 60)
    short = LEAST_ANSWER_TOKENS - 6  # anna's allowance holds the prompt and 10 answer tokens
    set_limits(office.store, "user", "anna", tokens_per_day=office.taken() + prompt + short)
    result = office.query()
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 429, 429]  # 400 tokens, 60; 10 is no useful answer
    assert "Traceback" not in shown
    assert "/v1/chat/completions antwortete 429: " in shown and "Person anna" in shown
    assert re.search(
        rf"Hinweis: Vom Tageskontingent sind noch {prompt + short} Tokens übrig, zu wenige für "
        rf"den Prompt dieser Anfrage \({prompt} Tokens\) und eine Antwort von mindestens "
        rf"{LEAST_ANSWER_TOKENS} Tokens; es erneuert sich mit dem Ende des Servertages: "
        r"versuchen Sie es um \d\d:\d\d Uhr erneut \(Retry-After des Servers: [\d.]+ s\)",
        shown,
    ), shown


def test_an_allowance_that_no_day_holds_the_prompt_in_says_so(office: Office) -> None:
    prompt = office.prompt("--lang", "en")
    # a new limit of the group, counting from now: the prompt and 5 answer tokens
    set_limits(office.store, "group", "amt", tokens_per_day=prompt + 5)
    result = office.query("--lang", "en")
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 429]  # no shorter answer holds 16 tokens
    assert (
        f"hint: the daily allowance of {prompt + 5} tokens is too small for this request's "
        f"prompt ({prompt} tokens) and an answer of at least {LEAST_ANSWER_TOKENS} tokens, on "
        "any day: ask the server's administrator for a larger allowance"
    ) in shown


def test_a_day_that_would_hold_a_shorter_answer_says_when_the_allowance_renews(
    office: Office,
) -> None:
    """The server says that waiting does not help for the answer asked (400 tokens are more
    than a whole day's allowance), but a new day holds the prompt and a shorter answer: when
    the allowance renews is its `x-ratelimit-reset-tokens`, not the refusal's Retry-After."""
    prompt = office.prompt("--lang", "en")
    limit = prompt + 100  # today's answer took the prompt and more: left too few
    set_limits(office.store, "user", "anna", tokens_per_day=limit)
    left = max(0, limit - office.taken())
    result = office.query("--lang", "en")
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 429]
    assert "waiting does not help" not in shown
    assert re.search(
        rf"hint: {left} tokens of the daily allowance are left, too few for this request's prompt "
        rf"\({prompt} tokens\) and an answer of at least {LEAST_ANSWER_TOKENS} tokens; it "
        r"renews when the server's day ends: try again at \d\d:\d\d \(the server's "
        r"x-ratelimit-reset-tokens: [\d,]+ s\)",
        shown,
    ), shown
