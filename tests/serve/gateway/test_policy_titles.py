"""A rule's name as a person reads it is the policy file's own `title` (German and English),
served at /v1/policy for the page: a deployment's own rules get names too, not only the
default's. A title is optional (older files load as before); a wrong one is said with the
file, the line, the rule and the field."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.policy import Policy

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HEAD = "id: amt\nversion: '1'\ntitle: {de: Amt, en: Office}\nrules:\n"


def rule(rule_id: str, title: str | None) -> str:
    named = f"    title: {title}\n" if title is not None else ""
    return (
        f"  - id: {rule_id}\n    kind: keywords\n    action: refuse\n{named}"
        "    words: [Projekt Nordlicht]\n    text: {de: a, en: b}\n"
    )


def load(tmp_path: Path, body: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return Policy.load(path)


def test_every_rule_of_the_default_policy_has_a_title_in_both_languages() -> None:
    rules = Policy.load("default").published()["rules"]
    assert all(r["title"]["de"] and r["title"]["en"] for r in rules)
    named = {r["id"]: r["title"]["de"] for r in rules}
    assert named["weapons-of-mass-harm"] == "Waffen, die viele Menschen töten können"
    assert named["self-harm"].startswith("Selbstgefährdung")


def test_a_policy_without_titles_still_loads_and_publishes_none(tmp_path: Path) -> None:
    published = load(tmp_path, rule("nordlicht", None)).published()
    assert "title" not in published["rules"][0]  # the page names it by its id


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("{de: Nordlicht}", "Feld title.en: ist erforderlich"),
        ("{de: Nordlicht, en: Northern lights, fr: x}", "Feld title.fr: ist keine bekannte"),
        ("Nordlicht", "Feld title: muss ein Objekt sein"),
        ("{de: '', en: Northern lights}", "Feld title.de: muss mindestens 1 Zeichen haben"),
    ],
    ids=["no-english", "unknown-language", "not-both-languages", "empty"],
)
def test_a_wrong_title_names_file_line_rule_and_field(
    tmp_path: Path, title: str, said: str
) -> None:
    with pytest.raises(InputError) as refused:
        load(tmp_path, rule("amtsintern", "{de: Intern, en: Internal}") + rule("nordlicht", title))
    message = str(refused.value.message)
    assert str(tmp_path / "policy.yaml") in message
    assert f"Zeile 14, Regel 2 (nordlicht), {said}" in message


def test_the_title_is_served_at_v1_policy(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    policy = load(
        tmp_path, rule("nordlicht", "{de: Projekt Nordlicht, en: Project Northern Lights}")
    )
    with serve(create_app(backend, policy=policy)) as url:
        published = httpx.get(f"{url}/v1/policy").json()
    assert published["rules"][0]["title"] == {
        "de": "Projekt Nordlicht",
        "en": "Project Northern Lights",
    }
