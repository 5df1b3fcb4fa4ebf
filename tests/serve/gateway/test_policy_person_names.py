"""A `pii` rule of the server's policy replaces person names with the curate stage's detector
before the model sees them, in `gemeingut serve` run as a user runs it: a name after a form of
address or a title goes (also written in full-width letters), a German noun after "Frau" stays,
and `/v1/policy` says which kinds the rule looks for. The shipped policy and a recipe's default
keep names."""

from __future__ import annotations

from pathlib import Path

import httpx

from gemeingut.recipe import DataSection
from gemeingut.serve.gateway.policy import Policy
from tests.http_server import serving_process

POLICY = """\
id: amt
version: '1'
title: {de: Amt, en: Office}
rules:
  - id: namen
    kind: pii
    action: redact
    types: [person_name, email]
    text: {de: Namen werden ersetzt., en: Names are replaced.}
"""


def seen_by_model(url: str, prompt: str) -> str:
    """What the model was given, as `echo` returns it."""
    body = {"model": "winzig", "prompt": prompt, "max_tokens": 1, "echo": True}
    answer = httpx.post(f"{url}/v1/completions", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["choices"][0]["text"]


def test_the_served_policy_replaces_names_and_keeps_nouns(model_dir: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    with serving_process(str(model_dir), "winzig", "--policy", str(policy)) as url:
        published = httpx.get(f"{url}/v1/policy", timeout=30).json()
        assert published["rules"][0]["types"] == ["person_name", "email"]

        letter = "Sehr geehrte Frau Yilmaz, bitte rufen Sie Herrn Dr. Meier-Lüdenscheidt an."
        seen = seen_by_model(url, letter)
        assert "Yilmaz" not in seen and "Meier" not in seen
        assert seen.count("<PERSON_NAME>") == 2
        assert (
            "Sehr geehrte Frau <PERSON_NAME>, bitte rufen Sie Herrn Dr. <PERSON_NAME> an." in seen
        )

        disguised = seen_by_model(url, "gez. Ａｎｎａ Ｂｅｃｋｅｒ")
        assert "<PERSON_NAME>" in disguised and "Ｂｅｃｋｅｒ" not in disguised

        noun = "Wenn die Frau Kinder hat, gilt Frau Präsidentin als Anrede."
        assert noun in seen_by_model(url, noun)


def test_names_stay_unless_a_policy_or_recipe_asks_for_them(tmp_path: Path) -> None:
    """Drafts about „Herrn Müller“ need the name: neither the shipped policy nor a recipe's
    default replaces names; a `pii` rule that names them does."""
    draft = "Entwurf: Antwort an Herrn Müller wegen seines Antrags."
    assert Policy.load("default").check(draft).text == draft
    assert "person_name" not in DataSection.model_fields["pii_types"].get_default(
        call_default_factory=True
    )
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    named = Policy.load(tmp_path / "policy.yaml").check(draft)
    assert named.text == "Entwurf: Antwort an Herrn <PERSON_NAME> wegen seines Antrags."
