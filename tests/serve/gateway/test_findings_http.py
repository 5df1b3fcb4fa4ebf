"""The community campaign over real HTTP: a user reports a finding (stored once, under a
pseudonym), only the triage group lists and decides, and the decision lands in the findings
file the audit reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.audit.findings import read_findings
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
FOUND = {"category": "bias", "prompt": "Frauen können nicht …", "response": "… einparken."}


@pytest.fixture
def campaign(tmp_path: Path, backend: TransformersBackend, serve: Serve) -> Iterator[dict]:
    engine = open_store(str(tmp_path / "gateway.db"))
    keys = {}
    for user, group in (("eva", "schule"), ("tom", "triage")):
        add_group(engine, group)
        add_user(engine, user, (group,))
        keys[user] = create_key(engine, user)[1]
    desk = FindingsDesk(tmp_path / "findings.jsonl")
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, findings=desk)) as url:
        yield {"url": url, "keys": keys, "file": desk.path, "gateway": gateway}


def call(campaign: dict, user: str, method: str, path: str, body: dict | None = None):
    return httpx.request(
        method,
        campaign["url"] + path,
        json=body,
        headers={"Authorization": f"Bearer {campaign['keys'][user]}"},
        timeout=30,
    )


def test_a_finding_is_reported_triaged_and_lands_in_the_findings_file(campaign: dict) -> None:
    reported = call(campaign, "eva", "POST", "/v1/findings", FOUND)
    assert reported.status_code == 200, reported.text
    finding = reported.json()
    assert finding["status"] == "new" and finding["model"] == "tiny-llama"
    assert finding["reporter"] not in ("eva", "anonymous")  # a pseudonym, never the name
    again = call(campaign, "eva", "POST", "/v1/findings", FOUND)
    assert again.json()["id"] == finding["id"]
    assert len(read_findings(campaign["file"])) == 1  # stored once
    refused = call(campaign, "eva", "GET", "/v1/findings")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "nur Mitglieder der Gruppe triage bewerten Befunde"
    listed = call(campaign, "tom", "GET", "/v1/findings").json()["data"]
    assert [f["id"] for f in listed] == [finding["id"]]
    decided = call(
        campaign, "tom", "POST", f"/v1/findings/{finding['id']}/triage",
        {"status": "confirmed", "note": "bestätigt"},
    )  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    [stored] = read_findings(campaign["file"])
    assert stored["status"] == "confirmed" and stored["note"] == "bestätigt"
    decisions = [
        (r["route"], r["status"], r["decision"]) for r in export(campaign["gateway"].engine)
    ]
    assert ("/v1/findings", 403, "scope:triage") in decisions
    assert (f"/v1/findings/{finding['id']}/triage", 200, "triage:confirmed") in decisions
    assert "einparken" not in str(decisions)


def test_bad_reports_and_unknown_findings_are_4xx(campaign: dict) -> None:
    empty = call(campaign, "eva", "POST", "/v1/findings", {**FOUND, "prompt": ""})
    assert empty.status_code == 400
    unknown = call(
        campaign, "tom", "POST", "/v1/findings/f-000000000000/triage", {"status": "confirmed"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "es gibt keinen Befund „f-000000000000“"
    blank = call(campaign, "eva", "POST", "/v1/findings", {**FOUND, "category": "  "})
    assert blank.status_code == 400 and "findings" not in blank.json()["error"]["message"]
    no_key = httpx.post(campaign["url"] + "/v1/findings", json=FOUND, timeout=30)
    assert no_key.status_code == 401


def test_a_category_the_page_does_not_offer_is_refused_naming_the_allowed_ones(
    campaign: dict,
) -> None:
    made_up = call(campaign, "eva", "POST", "/v1/findings", {**FOUND, "category": "xyz"})
    assert made_up.status_code == 400
    error = made_up.json()["error"]
    assert error["param"] == "category"
    assert error["message"] == (
        "category: „xyz“ ist keine Kategorie; erlaubt sind: bias, harmful, wrong, privacy, other"
    )
    english = httpx.post(
        campaign["url"] + "/v1/findings",
        json={**FOUND, "category": "xyz"},
        headers={"Authorization": f"Bearer {campaign['keys']['eva']}", "Accept-Language": "en"},
        timeout=30,
    )
    assert english.json()["error"]["message"] == (
        "category: 'xyz' is not a category; use one of: bias, harmful, wrong, privacy, other"
    )
    spelled = call(campaign, "eva", "POST", "/v1/findings", {**FOUND, "category": " Privacy "})
    assert spelled.status_code == 200 and spelled.json()["category"] == "privacy"
    assert [f["category"] for f in read_findings(campaign["file"])] == ["privacy"]
    schema = httpx.get(campaign["url"] + "/openapi.json").json()["components"]["schemas"]
    assert schema["Submission"]["properties"]["category"]["enum"] == [
        "bias", "harmful", "wrong", "privacy", "other"]  # fmt: skip
