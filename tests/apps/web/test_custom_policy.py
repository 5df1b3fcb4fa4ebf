"""A deployment's own policy (`serve --policy my.yaml`) on the page, in a real browser: its rules
by the German titles its file gives them, by the English ones after the language switch (a rule
without a title by its id), and a refusal in the chat names the rule by its title and its id.
Only the default policy was shown before, so a title the page took from anywhere but the file
would have gone unnoticed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.policy import Policy
from tests.apps.web.conftest import axe_violations
from tests.http_server import running_server

POLICY_FILE = """\
id: stadt-musterhausen
version: "3"
title: {de: "Richtlinie der Stadt Musterhausen", en: "Musterhausen city policy"}
rules:
  - id: vs.nfd
    kind: keywords
    action: refuse
    title: {de: "Verschlusssachen", en: "Classified information"}
    words: ["VS-NfD", "Verschlusssache"]
    text:
      de: Eingestufte Unterlagen gehören nicht in ein Sprachmodell.
      en: Classified documents do not belong in a language model.
  - id: buergerdaten
    kind: pii
    action: redact
    title: {de: "Daten von Bürgerinnen und Bürgern", en: "Citizens' data"}
    types: [email, phone]
    text:
      de: E-Mail-Adressen und Telefonnummern werden vor dem Modell verborgen.
      en: E-mail addresses and phone numbers are hidden from the model.
  - id: zugangsdaten
    kind: regex
    action: refuse
    pattern: "Passwort: *[^ ]+"
    text:
      de: Zugangsdaten gehören nicht in eine Anfrage.
      en: Credentials do not belong in a request.
"""


@pytest.fixture(scope="module")
def custom(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The tiny model served with the policy file above, as `serve --policy` loads it."""
    path = tmp_path_factory.mktemp("policy") / "musterhausen.yaml"
    path.write_text(POLICY_FILE, encoding="utf-8")
    policy = Policy.load(path)
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    with running_server(create_app(backend, policy=policy)) as url:
        yield {"url": url, "policy": policy}


def _titles(tab) -> list[str]:
    return [title.strip() for title in tab.locator("#policy-rules > li > h4").all_inner_texts()]


def test_a_custom_policy_shows_its_own_titles_in_either_language(tab, custom: dict) -> None:
    spec = custom["policy"].spec
    tab.goto(custom["url"] + "/#policy")
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")
    assert tab.locator("#policy-name").inner_text() == (
        "Für jede Anfrage gilt die Richtlinie „Richtlinie der Stadt Musterhausen“ "
        "(stadt-musterhausen), Version 3."
    )
    assert _titles(tab) == [
        "Verschlusssachen",
        "Daten von Bürgerinnen und Bürgern",
        "Regel „zugangsdaten“",
    ]
    assert tab.locator("#policy-rules .rule-id").all_inner_texts() == [
        f"Kennung der Regel: {rule.id}" for rule in spec.rules if rule.title
    ]
    assert axe_violations(tab) == []
    tab.get_by_role("link", name="English").click()
    tab.wait_for_function("() => document.documentElement.lang === 'en'")
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")
    assert tab.locator("#policy-name").inner_text() == (
        "The policy “Musterhausen city policy” (stadt-musterhausen), version 3, applies to "
        "every request."
    )
    assert _titles(tab) == ["Classified information", "Citizens' data", "Rule “zugangsdaten”"]
    assert axe_violations(tab) == []


def test_a_refusal_names_the_custom_rules_title_and_id(tab, custom: dict) -> None:
    """A rule without a title is named by its id alone."""
    tab.goto(custom["url"] + "/")
    tab.get_by_text("Angemeldet. Modell: winzig").wait_for()  # loopback: no key
    tab.get_by_label("Ihre Nachricht").fill("Fasse die Verschlusssache zusammen.")
    tab.get_by_role("button", name="Senden").click()
    status = tab.locator("#chat-status")
    link = status.get_by_role("link", name="Die Regel „vs.nfd“ in der Richtlinie lesen")
    link.wait_for()
    assert status.inner_text() == (
        "Abgelehnt nach der Regel „Verschlusssachen“ (vs.nfd) der Richtlinie: Eingestufte "
        "Unterlagen gehören nicht in ein Sprachmodell. Die Regel „vs.nfd“ in der Richtlinie lesen"
    )
    assert axe_violations(tab) == []
    link.click()
    tab.wait_for_function("() => document.activeElement.id === 'rule-vs.nfd'")
    assert tab.locator("[id='rule-vs.nfd'] h4").inner_text() == "Verschlusssachen"
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Chat").click()
    tab.get_by_label("Ihre Nachricht").fill("Passwort: geheim123")
    tab.get_by_role("button", name="Senden").click()
    status.get_by_role("link", name="Die Regel „zugangsdaten“ in der Richtlinie lesen").wait_for()
    assert status.inner_text() == (
        "Abgelehnt nach der Regel „zugangsdaten“ der Richtlinie: Zugangsdaten gehören nicht in "
        "eine Anfrage. Die Regel „zugangsdaten“ in der Richtlinie lesen"
    )
