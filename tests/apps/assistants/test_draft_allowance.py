"""A draft under a small daily token allowance. Before, the server asked for every section's
planned answer (350 tokens of a memo) and a draft that the allowance did not hold at full
length failed with a 429 after its first section had spent the tokens, every day again. Now
the section the allowance refuses is asked again with the answer it still holds (read from the
quota's own refusal), the sections it holds no longer say so, and only a draft whose first
section does not fit even shortened is refused. Real HTTP, a real SQLite gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.assistants.allowance import LEAST_ANSWER_TOKENS, shorter_answer
from gemeingut.apps.assistants.drafts import MEMO_SECTION_TOKENS
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.apps.office_server import OfficeServer, office_server

DRAFT = {"kind": "vermerk", "collection": "amt", "subject": "Pauschale für mobiles Arbeiten"}
BEYOND = "Das Tageskontingent an Tokens reicht für diesen Teil nicht mehr."


class Office(OfficeServer):
    def draft(self) -> httpx.Response:
        return self.post("/v1/assist/draft", DRAFT)

    def records(self) -> list[dict]:
        return list(export(self.store))


@pytest.fixture
def office(long_model_dir: Path, tmp_path: Path) -> Iterator[Office]:
    with office_server(long_model_dir, tmp_path, Office) as served:
        yield served


def test_a_draft_is_written_as_far_as_the_daily_allowance_holds_it(office: Office) -> None:
    set_limits(office.store, "user", "anna", tokens_per_day=1)
    refused = office.draft()
    assert refused.status_code == 429  # not even the first section: the quota's refusal
    quota = refused.json()["error"]["quota"]
    prompt = quota["requested"] - MEMO_SECTION_TOKENS  # the first section's, as reserved

    # the prompt and fewer answer tokens than a useful answer needs: still the refusal
    set_limits(office.store, "user", "anna", tokens_per_day=prompt + LEAST_ANSWER_TOKENS - 1)
    too_small = office.draft()
    assert too_small.status_code == 429, too_small.text
    assert too_small.json()["error"]["param"] == "tokens_per_day"
    assert [r["status"] for r in office.records()] == [429, 429]  # asked once each

    limit = prompt + 40
    set_limits(office.store, "user", "anna", tokens_per_day=limit)
    written = office.draft()
    assert written.status_code == 200, written.text
    first, *rest = written.json()["sections"]
    assert first["asked_model"] and first["allowance_tokens"] == 40  # all the allowance held
    assert [(s["asked_model"], s["allowance_tokens"], s["problems"]) for s in rest] == [
        (False, 0, [BEYOND])
    ] * 2
    # the refused first try, the shortened section, the second section's refusal; the third
    # was not asked. The response's record is the section written: no refusal reads as 200.
    records = office.records()[2:]
    assert [r["status"] for r in records] == [429, 200, 429]
    assert records[1]["prompt_tokens"] == prompt  # the answer was what was left beside it
    assert 1 <= records[1]["completion_tokens"] <= 40
    today = usage(office.store, "user", "anna", utcnow())
    assert today["tokens_today"] <= limit and today["tokens_reserved"] == 0
    markdown = written.json()["markdown"]
    said = "Kürzer als geplant: Das Tageskontingent reichte für diesen Teil nur für 40 Tokens."
    assert f"> {said}" in markdown
    assert f"> {BEYOND}" in markdown and f"Ohne Beleg: {BEYOND}" not in markdown


def test_what_is_left_is_shared_among_the_parts_still_to_write() -> None:
    # 400 tokens left; the part's prompt is 100 tokens, and 350 answer tokens were refused
    quota = {"limit": 5_000, "used": 4_000, "reserved": 600, "requested": 450}
    assert shorter_answer(quota, 350) == 300  # one part: all that is left beside its prompt
    assert shorter_answer(quota, 350, parts=3) == 33  # (400 - 3 * 100) // 3 each
    # four parts would have none: what is left is shared among the first three
    assert shorter_answer(quota, 350, parts=4) == 33
    # not even one part holds a useful answer beside its prompt
    assert shorter_answer(quota | {"used": 4_300 - LEAST_ANSWER_TOKENS + 1}, 350) is None
    assert shorter_answer(quota | {"used": 4_300 - LEAST_ANSWER_TOKENS}, 350) == 16
    # the reservation was not prompt and asked answer (an engine's context cut the answer):
    # the figure would be no shorter answer, and is not offered
    assert shorter_answer(quota | {"requested": 300}, 350) is None
