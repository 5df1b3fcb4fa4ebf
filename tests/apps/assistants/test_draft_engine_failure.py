"""A memo whose engine fails after its first section is written. Before, the draft route kept
the sections written only where a limit refused the next one (a 429): an engine that failed
(our 502, with Retry-After) or a full queue (503) mid-draft answered the whole draft with that
error, and the section written was lost. Now the draft is a 200 with the section written, the
rest say they are not written and why, `missing` names them and `retry_after` says when; asked
for again (`sections`, `given`), they complete it. Real HTTP on loopback: an engine of its own
(an OpenAI-compatible server that answers its first chat and fails the next ones while told to)
behind the real gateway route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.assistants import draft_engine
from tests.apps.assistants.draft_engine import DRAFT, WRITTEN, drafting

FAILED = "Nicht geschrieben: die vorgelagerte Engine antwortete 500: CUDA out of memory"


Engine = draft_engine.FailingAfterFirst


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with drafting(tmp_path, Engine()) as served:
        yield served


def test_an_engine_that_fails_mid_draft_keeps_the_section_written(
    served: tuple[str, Engine],
) -> None:
    url, engine = served
    cut = httpx.post(f"{url}/v1/assist/draft", json=DRAFT, timeout=60)
    assert cut.status_code == 200, cut.text  # before: the 502, and the section written lost
    draft = cut.json()
    assert [s["id"] for s in draft["sections"]] == ["sachverhalt", "bewertung", "vorschlag"]
    first, *rest = draft["sections"]
    assert first["asked_model"] and first["text"] == WRITTEN
    assert draft["missing"] == ["bewertung", "vorschlag"]
    assert draft["retry_after"] == 5  # the 502's Retry-After: an engine is soon back, or not
    for section in rest:
        assert not section["asked_model"] and section["problems"] == [FAILED]
    assert engine.chats == 2  # the failure ends the writing: the last section is not asked

    engine.failing = False  # the engine is back
    given = [{"id": first["id"], "text": first["text"]}]
    whole = httpx.post(f"{url}/v1/assist/draft", json=DRAFT | {"given": given}, timeout=60).json()
    assert whole["missing"] == [] and whole["retry_after"] is None
    assert [s["text"] for s in whole["sections"]] == [WRITTEN] * 3


def test_an_engine_that_fails_at_the_first_section_stays_the_502(
    served: tuple[str, Engine],
) -> None:
    url, engine = served
    engine.failing = True
    refused = httpx.post(f"{url}/v1/assist/draft", json=DRAFT, timeout=60)
    assert refused.status_code == 502, refused.text  # nothing written: nothing to keep
    assert refused.headers["retry-after"] == "5"
