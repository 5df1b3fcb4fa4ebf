"""`gemeingut assist vermerk` and `rag query --answer` against a server whose limits refuse
them. Before, a 429 in a memo's second part lost the part already written, said "check the
model id and the key" and never when to try again, and a requests-per-minute limit ended the
command although waiting a few seconds would have done. Now the parts written are kept (the
rest say they are not written and why), the server's message (in the user's language) and its
Retry-After are said, the command exits 2; a short Retry-After is waited out, said, a bounded
number of times. Real HTTP on loopback, a real SQLite gateway, the tiny model.

A test cannot wait for a real minute to end: the tests of the minute's limit use `ShortWaits`
(tests.apps.short_waits). The refusals are the server's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.apps.office_server import OfficeServer, office_server
from tests.test_cli import invoke


class Office(OfficeServer):
    def memo(self, out: Path, *lang: str):
        return invoke(
            *lang, "assist", "vermerk", "amt", "--subject", "Pauschale", "--root", self.root,
            "--endpoint", f"{self.url}/v1", "--out", out,
        )  # fmt: skip

    def memo_cut_short(self, out: Path, per_minute: int) -> str:
        """What the memo command said, written to `out` under a limit of `per_minute`
        requests a minute that each 0 s wait leaves in place; it exits 2."""
        set_limits(self.store, "user", "anna", requests_per_minute=per_minute)
        self.waits.shorten = True
        result = self.memo(out)
        shown = said(result)
        assert result.exit_code == 2, shown
        return shown

    def statuses(self) -> list[int]:
        return [r["status"] for r in export(self.store) if r["route"] == "/v1/chat/completions"]


@pytest.fixture
def office(
    long_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Office]:
    with office_server(long_model_dir, tmp_path, Office, short_waits=True) as served:
        monkeypatch.setenv("GEMEINGUT_API_KEY", served.keys["anna"][1])
        yield served


def said(result) -> str:
    return " ".join(result.output.split())


def test_a_memo_refused_by_the_daily_allowance_keeps_the_part_written(
    office: Office, tmp_path: Path
) -> None:
    # a part reserves its prompt (about 500 tokens) and 350 answer tokens: one part fits
    set_limits(office.store, "user", "anna", tokens_per_day=1000)
    out = tmp_path / "out" / "vermerk.md"
    out.parent.mkdir()
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 429]  # the third part was not asked
    assert "Traceback" not in shown
    assert (
        "/v1/chat/completions antwortete 429: die Grenze „Tokens pro Tag“ von Person anna" in shown
    )
    assert re.search(r"versuchen Sie es um \d\d:\d\d Uhr erneut \(Retry-After des Servers", shown)
    assert f"Entwurf geschrieben, so weit er kam: {out}" in shown
    assert "dann erneute Anfrage" not in shown  # a day's allowance is not waited for
    written = out.read_text(encoding="utf-8")
    first, rest = written.split("## Bewertung")
    assert "## Sachverhalt" in first and "nicht geschrieben" not in first
    assert rest.count("Dieser Teil wurde nicht geschrieben.") == 2  # Bewertung, Vorschlag
    assert rest.count("> Nicht geschrieben: ") == 2 and "„Tokens pro Tag“" in rest
    assert "## Quellen" in rest and "[1] docs/mobil.md" in rest
    assert [p.name for p in out.parent.iterdir()] == ["vermerk.md"]  # no temporary file left

    english = office.memo(out, "--lang", "en")  # the server says it in English, too
    assert english.exit_code == 2
    assert "answered 429: the limit 'tokens per day' of user anna" in said(english)
    assert "the server's Retry-After" in said(english)


def test_a_minutes_limit_is_waited_out_and_said(office: Office, tmp_path: Path) -> None:
    # 1 a minute: a part is refused even where a minute ends while the memo is written
    set_limits(office.store, "user", "anna", requests_per_minute=1)
    office.waits.shorten = office.waits.lift = True  # the minute ends while it waits
    out = tmp_path / "vermerk.md"
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 1, shown  # written whole; the random model cites nothing
    statuses = office.statuses()
    assert sorted(statuses) == [200, 200, 200, 429] and statuses[0] == statuses[-1] == 200
    assert "antwortete 429: die Grenze „Anfragen pro Minute“ von Person anna" in shown
    assert "warte 0 s (Retry-After), dann erneute Anfrage (1 von 3)" in shown
    assert "nicht geschrieben" not in out.read_text(encoding="utf-8")


def test_a_limit_that_stays_is_asked_again_three_times_then_said(
    office: Office, tmp_path: Path
) -> None:
    out = tmp_path / "vermerk.md"
    shown = office.memo_cut_short(out, per_minute=2)
    assert office.statuses() == [200, 200, 429, 429, 429, 429]  # three waits, then no more
    assert [f"({n} von 3)" in shown for n in (1, 2, 3)] == [True] * 3
    assert "nach Warten 3-mal erneut gefragt; versuchen Sie es um" in shown
    written = out.read_text(encoding="utf-8")
    assert written.count("Dieser Teil wurde nicht geschrieben.") == 1  # the Vorschlag


def test_a_query_that_waiting_cannot_help_says_so_at_once(office: Office) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=0)
    result = invoke(
        "--lang", "en", "rag", "query", "amt", "Pauschale", "--answer", "--root", office.root,
        "--endpoint", f"{office.url}/v1",
    )  # fmt: skip
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [429]  # not asked again: the server says waiting cannot help
    assert "answered 429: the limit 'requests per minute' of user anna is 0" in shown
    assert "waiting does not help (the server says so): ask its administrator" in shown


def _answers(office: Office) -> list[dict]:
    return [r for r in export(office.store) if r["route"] == "/v1/chat/completions"]


def _taken(office: Office) -> int:
    """The tokens the user's answers took today (the quota's `used`)."""
    return usage(office.store, "user", "anna", utcnow())["tokens_today"]


def test_a_query_answer_is_shortened_to_what_the_daily_allowance_holds(office: Office) -> None:
    def query(*lang: str):
        return invoke(
            *lang, "rag", "query", "amt", "Pauschale", "--answer", "--root", office.root,
            "--endpoint", f"{office.url}/v1", "--json",
        )  # fmt: skip

    set_limits(office.store, "user", "anna", tokens_per_day=100_000)
    whole = query()
    assert whole.exit_code == 1, said(whole)  # answered whole; the random model cites nothing
    shown = json.loads(whole.stdout)
    assert shown["allowance_tokens"] is None and shown["note"] is None
    prompt = _answers(office)[0]["prompt_tokens"]

    # the prompt and fewer tokens than a useful answer: the refusal stands, asked once
    set_limits(office.store, "user", "anna", tokens_per_day=_taken(office) + prompt + 15)
    refused = query()
    assert refused.exit_code == 2, said(refused)
    assert (
        "/v1/chat/completions antwortete 429: die Grenze „Tokens pro Tag“ von Person anna"
        in said(refused)
    )
    assert office.statuses() == [200, 429]

    set_limits(office.store, "user", "anna", tokens_per_day=_taken(office) + prompt + 40)
    shorter = query()
    assert shorter.exit_code == 1, said(shorter)
    assert office.statuses() == [200, 429, 429, 200]  # refused at 400 tokens, then 40
    assert 1 <= _answers(office)[-1]["completion_tokens"] <= 40
    shown = json.loads(shorter.stdout)
    assert shown["allowance_tokens"] == 40
    assert shown["note"] == (
        "Kürzer als erbeten: Das Tageskontingent reichte für diese Antwort nur für 40 Tokens."
    )

    # in English (its instructions are English: a prompt of other length), said on the terminal
    set_limits(office.store, "user", "anna", tokens_per_day=_taken(office) + prompt + 30)
    english = invoke(
        "--lang", "en", "rag", "query", "amt", "Pauschale", "--answer", "--root", office.root,
        "--endpoint", f"{office.url}/v1",
    )  # fmt: skip
    assert english.exit_code == 1, said(english)
    held = re.search(r"! Shorter than asked: the daily token allowance held (\d+) tokens for "
                     r"this answer\.", said(english))  # fmt: skip
    assert held is not None, said(english)
    assert int(held.group(1)) == 30 + prompt - _answers(office)[-1]["prompt_tokens"]


def test_a_memos_later_part_is_shortened_to_what_the_daily_allowance_holds(
    office: Office, tmp_path: Path
) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=100_000)
    assert office.memo(tmp_path / "whole.md").exit_code == 1  # written whole, cites nothing
    first, second, _third = _answers(office)
    # the first part whole, then the second's prompt and 40 tokens: too little to share with
    # the third's prompt, so the second has them (`shorter_answer`) and the third is refused
    limit = _taken(office) + first["prompt_tokens"] + first["completion_tokens"]
    limit += second["prompt_tokens"] + 40
    set_limits(office.store, "user", "anna", tokens_per_day=limit)
    out = tmp_path / "vermerk.md"
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses()[3:] == [200, 429, 200, 429]  # the third part: asked at 40, once
    assert 1 <= _answers(office)[-2]["completion_tokens"] <= 40
    note = "Kürzer als geplant: Das Tageskontingent reichte für diesen Teil nur für 40 Tokens."
    assert f"Bewertung: {note}" in shown and "Nicht geschriebene Teile: Vorschlag" in shown
    assert "„Tokens pro Tag“ von Person anna" in shown
    written = out.read_text(encoding="utf-8")
    bewertung, vorschlag = written.split("## Bewertung")[1].split("## Vorschlag")
    assert f"> {note}" in bewertung and "nicht geschrieben" not in bewertung
    assert "Dieser Teil wurde nicht geschrieben." in vorschlag
    assert _taken(office) <= limit
