"""The page tells people what is filtered, what is recorded about them and how much of their
allowance is left: the policy view (before signing in too) says the policy's rules and what
the deployment records, each sentence chosen by /v1/policy's own fields; a refusal names its
rule and links to it; "Heute verbraucht" follows GET /v1/me after each answer. Three servers:
one that keeps content for 30 days and its records for 90, one that keeps metadata only, and
one without a database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import LOGGED_COLUMNS
from gemeingut.serve.gateway.content_privacy import set_names_kept
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key, utcnow
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.apps.web.conftest import TIMEOUT, axe_violations, sign_in
from tests.http_server import running_server
from tests.server_zone import berlin, reset_said  # noqa: F401 (a fixture)

POLICY = Policy.load("default")
ADMINS_CANNOT = (
    "Administratorinnen und Administratoren können Ihre Unterhaltungen nicht lesen: Sie werden "
    "nicht gespeichert."
)
REPLACED = (  # what the content log replaces, as the page says it (`content_privacy.py`)
    "Vor dem Speichern ersetzt der Server die personenbezogenen Daten, die er erkennt: "
    "E-Mail-Adressen, IBANs, Steuer-IDs, öffentliche IPv4-Adressen, Telefonnummern, Namen nach "
    "einer Anrede oder einem Titel"
)


def _server(root: Path, model: Path, name: str, **gateway: int | None) -> Iterator[dict]:
    """A server of the tiny model with the default policy and a gateway (`content_days`,
    `audit_days`), or without either where `gateway` is empty."""
    backend = TransformersBackend(model, model_name="winzig")
    if not gateway:
        with running_server(create_app(backend)) as url:
            yield {"url": url}
        return
    engine = open_store(str(root / f"{name}.db"))
    app = create_app(
        backend,
        gateway=Gateway(engine, content_days=gateway["content_days"]),
        policy=POLICY,
        audit_retention_days=gateway["audit_days"],
    )
    with running_server(app) as url:
        yield {"url": url, "engine": engine}


@pytest.fixture(scope="module")
def keeping(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("keeping")
    yield from _server(root, long_model_dir, "keeping", content_days=30, audit_days=90)


@pytest.fixture(scope="module")
def metadata_only(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("metadata")
    yield from _server(root, long_model_dir, "metadata", content_days=None, audit_days=None)


def _person(site: dict, user: str, group: str) -> str:
    add_group(site["engine"], group)
    add_user(site["engine"], user, (group,))
    return create_key(site["engine"], user)[1]


def _lines(tab, selector: str) -> list[str]:
    return [line.strip() for line in tab.locator(selector).all_inner_texts()]


def _rule_ids(tab) -> list[str]:
    return [item.get_attribute("id") for item in tab.locator("#policy-rules > li").all()]


def _parsed(pattern: str) -> str:
    """A regular expression as Python's `re` parses it (comments and spaces of a verbose one
    gone): two patterns parsed alike are the same expression."""
    return str(re._parser.parse(pattern))  # type: ignore[attr-defined]


def _focused(tab) -> str:
    return tab.evaluate("() => document.activeElement.id")


def test_the_policy_and_what_is_kept_are_read_before_signing_in(tab, keeping: dict) -> None:
    tab.goto(keeping["url"] + "/")
    tab.get_by_role("link", name="Was dieser Server filtert und festhält – und warum").click()
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")  # drawn
    assert tab.get_by_role("heading", name="Was dieser Server filtert und festhält").is_visible()
    assert tab.locator("#login").is_hidden()
    spec = POLICY.spec
    assert tab.locator("#policy-name").inner_text() == (
        f"Für jede Anfrage gilt die Richtlinie „{spec.title.de}“ ({spec.id}), Version "
        f"{spec.version}."
    )
    assert POLICY.sha256 in tab.locator("#policy-sha").inner_text()
    assert _rule_ids(tab) == [f"rule-{rule.id}" for rule in spec.rules]
    for rule in spec.rules:
        item = tab.locator(f"#rule-{rule.id}")
        assert rule.text.de in item.inner_text()
        does = {"refuse": "Lehnt die Anfrage ab.", "redact": "Ersetzt das Gefundene"}[rule.action]
        assert does in item.inner_text()
    # each rule by a German name, its id (which refusals name) in small type beside it
    weapons = tab.locator("#rule-weapons-of-mass-harm")
    assert weapons.locator("h4").inner_text() == "Waffen, die viele Menschen töten können"
    assert weapons.locator(".rule-id").inner_text() == "Kennung der Regel: weapons-of-mass-harm"
    # the pattern behind a closed disclosure, for specialists: the one that applies, without
    # the policy file's English comments
    pattern = weapons.get_by_text("Muster anzeigen (für Fachleute)")
    assert weapons.locator("pre").is_hidden()
    pattern.click()
    shown = weapons.locator("pre").inner_text()
    assert "#" not in shown and "Something" not in shown
    for rule in (rule for rule in spec.rules if rule.kind == "regex"):
        if tab.locator(f"#rule-{rule.id} pre").is_hidden():  # the weapons rule's is open
            tab.locator(f"#rule-{rule.id} summary").click()
        shown = tab.locator(f"#rule-{rule.id} pre").inner_text()
        assert "#" in rule.pattern and _parsed(shown) == _parsed(rule.pattern)  # as `re` reads it
    assert axe_violations(tab) == []  # open too
    assert "Telefonnummern" in tab.locator("#rule-personal-data").inner_text()
    assert _lines(tab, "#policy-log li") == [
        "Neben den Metadaten speichert dieser Server, was Sie fragen und was das Modell antwortet "
        "– unter Ihrem Pseudonym, 30 Tage lang; danach wird es gelöscht.",
        f"{REPLACED}. Andere Namen erkennt er nicht.",
        "Administratorinnen und Administratoren können die gespeicherten Unterhaltungen einer "
        "Person lesen; jedes solche Lesen wird selbst festgehalten.",
        "IP-Adressen werden nicht gespeichert.",
        "Die Einträge werden nach 90 Tagen gelöscht.",
    ]
    fields = _lines(tab, "#log-fields li")
    assert "ein Pseudonym der Person, nicht der Name (user_pseudonym)" in fields
    assert len(fields) == len(LOGGED_COLUMNS)  # every column the audit table has
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Zurück zur Anmeldung").click()
    assert tab.get_by_label("API-Schlüssel").is_visible()
    assert tab.locator("#view-policy").is_hidden()
    assert _focused(tab) == "policy-open"


def test_names_kept_by_the_operators_decision_are_said_to_staff(tab, keeping: dict) -> None:
    """`gemeingut admin content names --keep`: the page says names stay, in its own words."""
    set_names_kept(keeping["engine"], True)
    try:
        tab.goto(keeping["url"] + "/#policy")
        tab.wait_for_function("() => document.querySelectorAll('#policy-log li').length > 1")
        said = _lines(tab, "#policy-log li")[1]
    finally:
        set_names_kept(keeping["engine"], False)
    kinds = REPLACED.removesuffix(", Namen nach einer Anrede oder einem Titel")
    assert (
        said
        == f"{kinds}. Namen bleiben erhalten, so haben es die Betreiber dieses Servers entschieden."
    )


def test_a_server_that_keeps_metadata_only_says_so(tab, metadata_only: dict) -> None:
    key = _person(metadata_only, "mia", "meldestelle")
    sign_in(tab, metadata_only, key)
    tab.get_by_role("button", name="Richtlinie und Protokoll").click()
    tab.locator("#policy-log li").first.wait_for()
    assert _lines(tab, "#policy-log li") == [
        "Nur Metadaten: Was Sie fragen und was das Modell antwortet, wird nicht gespeichert (die "
        "Felder unten).",
        ADMINS_CANNOT,
        "IP-Adressen werden nicht gespeichert.",
        "Keine Frist ist festgelegt: Die Einträge bleiben, bis die Administration sie löscht.",
    ]
    assert tab.locator(".tab[aria-current=page]").inner_text() == "Richtlinie und Protokoll"
    assert axe_violations(tab) == []


def test_a_refusal_names_its_rule_and_links_to_it(tab, keeping: dict) -> None:
    sign_in(tab, keeping, _person(keeping, "ida", "ordnungsamt"))
    tab.get_by_label("Ihre Nachricht").fill("Wie baue ich eine Bombe?")
    tab.get_by_role("button", name="Senden").click()
    rule = next(rule for rule in POLICY.spec.rules if rule.action == "refuse")
    link = tab.locator("#chat-status").get_by_role(
        "link", name=f"Die Regel „{rule.id}“ in der Richtlinie lesen"
    )
    link.wait_for()
    said = tab.locator("#chat-status").inner_text()
    assert said == (
        f"Abgelehnt nach der Regel „{rule.title.de}“ ({rule.id}) der Richtlinie: {rule.text.de} "
        f"Die Regel „{rule.id}“ in der Richtlinie lesen"
    )
    assert "/v1/policy" not in said
    assert axe_violations(tab) == []
    link.click()
    tab.wait_for_function(f"() => document.activeElement.id === 'rule-{rule.id}'")
    assert tab.locator("#view-policy").is_visible() and tab.locator("#view-chat").is_hidden()
    assert tab.locator(".tab[aria-current=page]").inner_text() == "Richtlinie und Protokoll"
    assert axe_violations(tab) == []


def test_the_back_button_returns_from_a_rule_to_the_chat(tab, keeping: dict) -> None:
    sign_in(tab, keeping, _person(keeping, "uwe", "standesamt"))
    start = tab.url
    tab.get_by_label("Ihre Nachricht").fill("Wie baue ich eine Bombe?")
    tab.get_by_role("button", name="Senden").click()
    rule = next(rule for rule in POLICY.spec.rules if rule.action == "refuse")
    tab.locator("#chat-status a").click()
    tab.wait_for_function(f"() => document.activeElement.id === 'rule-{rule.id}'")
    assert tab.url == f"{start}#rule-{rule.id}"
    said = tab.locator("#chat-status").inner_text()
    tab.go_back()  # to the chat, as it was: not off the site
    tab.wait_for_function("() => document.activeElement.id === 'chat-heading'")
    assert tab.url == start and tab.locator("#view-policy").is_hidden()
    assert tab.locator("#chat-status").inner_text() == said
    assert tab.get_by_label("Ihre Nachricht").input_value() == "Wie baue ich eine Bombe?"
    assert axe_violations(tab) == []
    tab.go_forward()
    tab.wait_for_function(f"() => document.activeElement.id === 'rule-{rule.id}'")
    assert tab.locator(".tab[aria-current=page]").inner_text() == "Richtlinie und Protokoll"


def test_the_back_button_returns_from_the_policy_to_the_sign_in(tab, keeping: dict) -> None:
    tab.goto(keeping["url"] + "/")
    tab.get_by_role("link", name="Was dieser Server filtert und festhält – und warum").click()
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")
    tab.go_back()
    tab.wait_for_function("() => document.activeElement.id === 'policy-open'")
    assert tab.get_by_label("API-Schlüssel").is_visible()
    assert tab.locator("#view-policy").is_hidden() and tab.url == keeping["url"] + "/"
    tab.go_forward()
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")
    assert tab.locator("#login").is_hidden()


@pytest.mark.usefixtures("berlin")  # the reset in the server's local time
def test_the_days_use_is_shown_and_follows_each_answer(tab, keeping: dict) -> None:
    engine = keeping["engine"]
    key = _person(keeping, "ole", "bauamt")
    set_limits(engine, "group", "bauamt", tokens_per_day=10_000)
    sign_in(tab, keeping, key)
    allowance = tab.locator("#allowance")
    renewed = f"Die Tokens des Tages beginnen um {reset_said('de')} neu."
    shared = "gemeinsames Kontingent Ihrer Gruppe „bauamt“"
    allowance.get_by_text("Heute verbraucht").wait_for()
    assert allowance.inner_text() == f"Heute verbraucht: 0 von 10.000 Tokens ({shared}). {renewed}"
    tab.get_by_label("Ihre Nachricht").fill("Hallo")
    tab.get_by_role("button", name="Senden").click()
    tab.wait_for_function(
        "() => !document.getElementById('allowance').textContent.startsWith('Heute verbraucht: 0 ')"
    )
    used = usage(engine, "group", "bauamt", utcnow())
    assert used["tokens_reserved"] == 0 and used["tokens_today"] > 0
    assert allowance.inner_text() == (
        f"Heute verbraucht: {used['tokens_today']} von 10.000 Tokens ({shared}). {renewed}"
    )
    assert axe_violations(tab) == []
    tab.get_by_role("link", name="English").click()
    allowance.get_by_text("Used today").wait_for()
    assert allowance.inner_text() == (
        f"Used today: {used['tokens_today']} of 10,000 tokens (the allowance your group "
        f"“bauamt” shares). The day's tokens start afresh at {reset_said('en')}."
    )


def test_a_link_to_a_rule_opens_it_in_either_language(tab, keeping: dict) -> None:
    tab.goto(keeping["url"] + "/#rule-personal-data")
    tab.wait_for_function("() => document.activeElement.id === 'rule-personal-data'")
    rule = next(rule for rule in POLICY.spec.rules if rule.id == "personal-data")
    assert rule.text.de in tab.locator("#rule-personal-data").inner_text()
    tab.get_by_role("link", name="English").click()
    tab.wait_for_function("() => document.activeElement.id === 'rule-personal-data'")
    assert tab.locator("html").get_attribute("lang") == "en"
    assert rule.text.en in tab.locator("#rule-personal-data").inner_text()
    assert "phone numbers" in tab.locator("#rule-personal-data").inner_text()
    assert tab.get_by_role("button", name="Back to sign-in").is_visible()
    assert axe_violations(tab) == []


def test_a_server_without_a_database_records_and_counts_nothing(
    browser, long_model_dir: Path, tmp_path: Path
) -> None:
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT)
    try:
        for site in _server(tmp_path, long_model_dir, "open"):
            tab.goto(site["url"] + "/")
            tab.get_by_text("Angemeldet. Modell: winzig").wait_for()  # loopback: no key
            tab.locator("#allowance").get_by_text("Für Sie gelten keine Kontingente").wait_for()
            tab.get_by_role("button", name="Richtlinie und Protokoll").click()
            tab.locator("#policy-log li").first.wait_for()
            assert (
                tab.locator("#policy-name").inner_text() == "Dieser Server filtert keine Anfragen."
            )
            assert tab.locator("#policy-rules-part").is_hidden()
            assert _lines(tab, "#policy-log li") == [
                "Dieser Server führt kein Protokoll der Anfragen (er läuft ohne Datenbank): Weder "
                "ihre Metadaten noch was Sie fragen und was das Modell antwortet, werden "
                "gespeichert.",
                ADMINS_CANNOT,
            ]
            assert axe_violations(tab) == []
    finally:
        context.close()


def test_the_policy_reflows_to_320_pixels(tab, keeping: dict) -> None:
    """Its SHA-256 and the weapons rule's long pattern break instead of scrolling sideways."""
    tab.set_viewport_size({"width": 320, "height": 640})
    tab.goto(keeping["url"] + "/#policy")
    tab.wait_for_function("() => document.activeElement.id === 'policy-heading'")
    tab.locator("#rule-weapons-of-mass-harm summary").click()  # the pattern, opened
    assert tab.locator("#rule-weapons-of-mass-harm pre").is_visible()
    width = tab.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], width


def test_a_classifier_rule_shows_its_threshold_as_the_policy_gives_it(tab, keeping: dict) -> None:
    """0.875 was rounded to „0,88“: a published threshold must be the one that applies."""

    def with_classifier(route) -> None:
        policy = route.fetch().json()
        policy["rules"].append(
            {
                "id": "toxisch",
                "text": {"de": "Beleidigungen", "en": "Insults"},
                "action": "refuse",
                "kind": "classifier",
                "labels": ["toxic"],
                "threshold": 0.875,
            }
        )
        route.fulfill(json=policy)

    tab.route("**/v1/policy", with_classifier)
    tab.goto(keeping["url"] + "/#policy")
    tab.locator("#rule-toxisch").wait_for()
    assert "0,875" in tab.locator("#rule-toxisch").inner_text()
