"""A memo under a requests-per-minute limit smaller than its sections. Before, the draft route
wrote the sections one request each and, when the limit refused one after others were written,
answered the whole draft with the 429: the sections written were lost, and asking again never
helped (a limit of 2 a minute never holds 3 sections). Now the draft is a 200 with the sections
written, the rest say they are not written and why (the 429's own message), `missing` names
them and `retry_after` says when; asked for alone (`sections`), with the others handed back
(`given`), they complete the draft. Real HTTP on loopback, a real SQLite gateway, the tiny
model.

A limit of 1 a minute: the draft's first section is always written (the person has asked
nothing yet this minute), the limit refuses the next one in the same minute, and should the
minute end after the first, the third in the next one: a section is refused either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.office_server import OfficeServer, office_server

DRAFT = {"kind": "vermerk", "collection": "amt", "subject": "Pauschale für mobiles Arbeiten"}
MEMO_SECTIONS = ["sachverhalt", "bewertung", "vorschlag"]
NOT_WRITTEN = "Dieser Teil wurde nicht geschrieben."
PER_MINUTE = (
    "die Grenze „Anfragen pro Minute“ von Person {user}: die 1 Anfrage pro Minute ist aufgebraucht"
    "; warten Sie bis "  # the next minute's start, in the server's local time
)


class Office(OfficeServer):
    def draft(self, user: str = "anna", language: str = "de", **more) -> httpx.Response:
        return self.post("/v1/assist/draft", DRAFT | more, user, language)

    def statuses(self, user: str = "anna") -> list[int]:
        """The statuses of the user's audit records: one for each section the model was asked."""
        return [r["status"] for r in export(self.store, key_id=self.keys[user][0])]


@pytest.fixture
def office(long_model_dir: Path, tmp_path: Path) -> Iterator[Office]:
    with office_server(long_model_dir, tmp_path, Office, users=("anna", "ben")) as served:
        yield served


def test_a_minutes_limit_keeps_the_sections_written_and_they_complete_the_draft(
    office: Office,
) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=1)
    cut = office.draft()
    assert cut.status_code == 200, cut.text  # before: the 429, and the sections written lost
    draft = cut.json()
    assert [s["id"] for s in draft["sections"]] == MEMO_SECTIONS
    written = [s for s in draft["sections"] if s["asked_model"]]
    refused = [s for s in draft["sections"] if not s["asked_model"]]
    assert 1 <= len(written) <= 2 and written == draft["sections"][: len(written)]
    assert draft["missing"] == [s["id"] for s in refused]
    for section in refused:
        assert section["text"] == NOT_WRITTEN
        [problem] = section["problems"]
        assert problem.startswith(f"Nicht geschrieben: {PER_MINUTE.format(user='anna')}")
        assert section["allowance_tokens"] is None  # not the daily allowance's
    assert 1 <= draft["retry_after"] <= 60  # the rest of the minute
    # each section written is a 200, the refusal stays the 429 it was; the draft's own answer
    # is the last section's record, not a record of its own
    assert office.statuses() == [200] * len(written) + [429]
    assert f"> Nicht geschrieben: {PER_MINUTE.format(user='anna')}" in draft["markdown"]
    for section in written:
        assert section["text"].strip() in draft["markdown"]

    set_limits(office.store, "user", "anna", requests_per_minute=None)  # the minute has ended
    given = [{"id": s["id"], "text": s["text"]} for s in written]
    whole = office.draft(sections=draft["missing"], given=given)
    assert whole.status_code == 200, whole.text
    done = whole.json()
    assert [s["id"] for s in done["sections"]] == MEMO_SECTIONS
    assert done["missing"] == [] and done["retry_after"] is None
    assert all(s["asked_model"] for s in done["sections"])
    kept = done["sections"][: len(written)]
    assert [(s["text"], s["citations"], s["status"]) for s in kept] == [
        (s["text"], s["citations"], s["status"]) for s in written
    ]  # as written before, checked again against the same sources
    assert done["sources"] == draft["sources"]
    assert NOT_WRITTEN not in done["markdown"]
    # only the missing sections were asked: one more 200 each
    assert office.statuses() == [200] * len(written) + [429] + [200] * len(refused)


def test_the_sections_not_written_say_why_in_english(office: Office) -> None:
    set_limits(office.store, "user", "ben", requests_per_minute=1)
    draft = office.draft("ben", "en").json()
    refused = [s for s in draft["sections"] if s["id"] in draft["missing"]]
    assert refused and refused[-1]["id"] == "vorschlag"
    for section in refused:
        assert section["text"] == "This part was not written."
        [problem] = section["problems"]
        assert problem.startswith(
            "Not written: the limit 'requests per minute' of user ben: the 1 request per minute "
            "is used up; wait until "
        ), problem


def test_a_refusal_of_the_first_section_to_write_stays_the_429(office: Office) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=0)
    given = [{"id": "sachverhalt", "text": "Die Pauschale beträgt 25 Euro [1]."}]
    for more in ({}, {"given": given}):  # nothing written in this request: nothing to answer
        refused = office.draft(**more)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["param"] == "requests_per_minute"


def test_a_draft_asked_to_write_nothing_is_said_again_with_its_missing_sections(
    office: Office,
) -> None:
    """`sections: []` with the sections written handed back: the draft in the request's
    language, no model asked, the rest listed as `missing` (before: a 400, or a draft that left
    them out), to be asked for later."""
    set_limits(office.store, "user", "anna", requests_per_minute=1)
    draft = office.draft().json()
    given = [{"id": s["id"], "text": s["text"]} for s in draft["sections"] if s["asked_model"]]
    before = office.statuses()
    said = office.draft(language="en", sections=[], given=given)
    assert said.status_code == 200, said.text
    again = said.json()
    assert office.statuses() == [*before, 200]  # one record of its own: no model asked
    assert again["missing"] == draft["missing"] and again["retry_after"] is None
    assert [s["id"] for s in again["sections"]] == MEMO_SECTIONS
    assert [s["heading"] for s in again["sections"]] == ["Facts", "Assessment", "Proposal"]
    kept = again["sections"][: len(given)]
    assert [{"id": s["id"], "text": s["text"]} for s in kept] == given  # as written before
    for section in again["sections"]:
        if section["id"] in again["missing"]:
            assert section["text"] == "This part was not written."
            assert section["problems"] == [
                "Not written yet: ask for the missing parts to write it."
            ]
            assert not section["asked_model"]


@pytest.mark.parametrize(
    ("more", "param", "said"),
    [
        (
            {"sections": ["bewertung", "abschluss"]},
            "sections",
            "sections: Dieser Entwurf hat keinen Abschnitt „abschluss“; seine Abschnitte sind "
            "sachverhalt, bewertung, vorschlag",
        ),
        (
            {"given": [{"id": "einstieg", "text": "Guten Tag."}]},
            "given",
            "given: Dieser Entwurf hat keinen Abschnitt „einstieg“; seine Abschnitte sind "
            "sachverhalt, bewertung, vorschlag",
        ),
        (
            {"sections": ["vorschlag", "vorschlag"]},
            "sections",
            "sections: Der Abschnitt „vorschlag“ ist zweimal genannt",
        ),
        (
            {"sections": ["bewertung"], "given": [{"id": "bewertung", "text": "Gut [1]."}]},
            "sections",
            "Der Abschnitt „bewertung“ soll geschrieben werden (sections) und ist gegeben",
        ),
    ],
)
def test_sections_the_draft_does_not_have_are_a_400_naming_them(
    office: Office, more: dict, param: str, said: str
) -> None:
    answer = office.draft(**more)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["param"], error["message"]) == (param, said)
    assert 200 not in office.statuses()  # no section was written


def test_a_speech_names_its_key_points_sections(office: Office) -> None:
    speech = {"kind": "rede", "points": ["Pauschale", "Vollzeit"], "sections": ["punkt-3"]}
    answer = office.draft(**speech)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "sections: Dieser Entwurf hat keinen Abschnitt „punkt-3“; seine Abschnitte sind "
        "einstieg, punkt-1, punkt-2, schluss"
    )
