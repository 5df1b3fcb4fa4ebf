"""A section not written, handed back as written. After an engine failed mid-draft, the
response had `missing` sections whose text says „Dieser Teil wurde nicht geschrieben.“ with
the reason; a client that sent every section back as `given` (as the README's "the sections
written" suggested) had those placeholders kept as written, their reason replaced by „Die
Antwort belegt nichts mit den Quellen.“, and nothing written. Now a given section that says
it is not written is no section written: it is written again like one not given, whether the
client names it in `sections` or leaves `sections` out. Real HTTP on loopback: the draft
route in front of an engine of its own that fails after its first section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.assistants import draft_engine
from tests.apps.assistants.draft_engine import DRAFT, WRITTEN, drafting

NOT_WRITTEN = "Dieser Teil wurde nicht geschrieben."


Engine = draft_engine.FailingAfterFirst


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with drafting(tmp_path, Engine()) as served:
        yield served


def _draft(url: str, **more) -> dict:
    answer = httpx.post(f"{url}/v1/assist/draft", json=DRAFT | more, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("name_them", [False, True])
def test_a_section_handed_back_that_says_not_written_is_written_again(
    served: tuple[str, Engine], name_them: bool
) -> None:
    url, engine = served
    cut = _draft(url)
    assert cut["missing"] == ["bewertung", "vorschlag"]
    placeholders = [s for s in cut["sections"] if s["id"] in cut["missing"]]
    assert [s["text"] for s in placeholders] == [NOT_WRITTEN] * 2

    engine.failing = False  # the engine is back
    chats = engine.chats
    given = [{"id": s["id"], "text": s["text"]} for s in cut["sections"]]  # all of them
    more = {"sections": cut["missing"]} if name_them else {}
    whole = _draft(url, given=given, **more)
    assert whole["missing"] == []
    assert [s["text"] for s in whole["sections"]] == [WRITTEN] * 3  # before: placeholders kept
    assert all(s["asked_model"] for s in whole["sections"])
    assert NOT_WRITTEN not in whole["markdown"]
    assert engine.chats == chats + 2  # the two not written, asked; the first kept


def test_an_english_placeholder_handed_back_is_written_again(served: tuple[str, Engine]) -> None:
    url, engine = served
    engine.chats = 1  # as after a draft's first section written: no chat fails from now on
    given = [
        {"id": "sachverhalt", "text": WRITTEN},
        {"id": "bewertung", "text": "This part was not written."},
    ]
    whole = _draft(url, given=given, sections=["bewertung", "vorschlag"])
    assert [s["text"] for s in whole["sections"]] == [WRITTEN] * 3
