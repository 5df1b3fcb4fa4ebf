"""`gemeingut admin audit records`: the record of processing activities (Art. 30 GDPR) of a
deployment, written from what the server recorded at its start and from its database; what
only the controller can state is marked as missing, never invented."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key, revoke_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.records import (
    ControllerFacts,
    deployment_facts,
    read_record,
    record_deployment,
)
from gemeingut.serve.gateway.records_text import render_record
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()
FACTS = """\
controller: Stadt Musterstadt, Amt für Digitales, Rathausplatz 1, digitales@musterstadt.de
dpo: Datenschutzbeauftragte der Stadt, datenschutz@musterstadt.de
purposes: Unterstützung der Beschäftigten beim Entwerfen von Texten.
legal_basis: Art. 6 Abs. 1 lit. e DSGVO i. V. m. § 3 LDSG
recipients: keine
transfers: keine
"""


def records(store_url: str, *args: str):
    return runner.invoke(app, ["admin", "audit", "records", "--db", store_url, *args])


def test_the_record_is_written_from_the_servers_own_settings(
    store_url: str, model_dir: Path, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    add_group(engine, "amt")
    for name in ("anna", "ben"):
        add_user(engine, name, ("amt",))
    key_id, _secret = create_key(engine, "anna")
    create_key(engine, "ben")
    revoke_key(engine, key_id)
    backend = TransformersBackend(model_dir, model_name="winzig")
    create_app(
        backend, gateway=Gateway(engine), audit_retention_days=30, policy=Policy.load("default")
    )
    unstated = records(store_url)
    assert unstated.exit_code == 1  # the controller's part is missing
    text = unstated.output
    assert text.startswith("# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)")
    assert "Betrieb des Sprachmodells `winzig`" in text
    assert "2 Nutzerkonten (0 gesperrt) in 1 Gruppe, 2 API-Schlüssel (1 gültig)" in text
    assert "`user_pseudonym`" in text and "`prompt_tokens`" in text  # the table's own columns
    assert "Inhalte von Anfragen und Antworten: werden nicht gespeichert" in text
    assert "IP-Adressen: werden nicht gespeichert" in text
    assert "Das Modell läuft im Prozess des Servers" in text
    assert "Protokolleinträge werden nach 30 Tagen gelöscht" in text
    assert "Sicherheitsrichtlinie `gemeingut-standard" in text
    assert "**Fehlt – vom Verantwortlichen zu ergänzen** (`controller`" in text
    assert "noch nicht angegeben: controller, dpo, purposes, legal_basis, recipients" in text
    facts = tmp_path / "fakten.yaml"
    facts.write_text(FACTS, encoding="utf-8")
    out = tmp_path / "verzeichnis.md"
    stated = records(store_url, "--facts", str(facts), "--out", str(out))
    assert stated.exit_code == 0, stated.output
    document = out.read_text(encoding="utf-8")
    assert "Verantwortlicher: Stadt Musterstadt, Amt für Digitales" in document
    assert "Fehlt" not in document
    english = runner.invoke(
        app, ["--lang", "en", "admin", "audit", "records", "--db", store_url, "--facts",
              str(facts), "--json"],
    )  # fmt: skip
    data = json.loads(english.output)
    assert data["content_logged"] is False and data["ip_addresses_logged"] is False
    assert data["deployment"]["audit_retention_days"] == "30"
    assert data["deployment"]["engine"] == ["in-process"] and data["missing"] == []


def test_an_upstream_engine_is_named_as_recipient_and_no_retention_is_flagged(
    tmp_path: Path,
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    now = datetime(2026, 12, 4, 9, 30)
    record_deployment(engine, deployment_facts("mistral", "http://gpu-1:8000", None, None, now))
    document = render_record(read_record(engine, ControllerFacts(), now), "en")
    assert "Requests and answers go to the inference engine `http://gpu-1:8000`." in document
    assert "**No time limit set**" in document
    assert "No safety policy: requests are not filtered." in document
    assert "Settings as of the last start on 2026-12-04 09:30:00 UTC" in document


def test_a_wrong_facts_file_names_the_field(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    facts = tmp_path / "fakten.yaml"
    facts.write_text("controller: Amt\nzwecke: Texte\n", encoding="utf-8")
    result = records(str(db), "--facts", str(facts))
    assert result.exit_code == 2
    assert "zwecke" in result.output and "purposes" in result.output


def test_the_measures_are_read_off_the_schema(tmp_path: Path) -> None:
    from dataclasses import replace

    engine = open_store(str(tmp_path / "gateway.db"))
    now = datetime(2026, 12, 4, 9, 30)
    record = read_record(engine, ControllerFacts(), now)
    text = render_record(record)
    assert "keine Spalte für Namen oder Nutzerkennungen" in text
    assert "Schlüssel nur als SHA-256 gespeichert" in text
    named = replace(record, audit_columns=[*record.audit_columns, "user_name"],
                    key_columns=[*record.key_columns, "secret"])  # fmt: skip
    text = render_record(named)
    assert "**Das Protokoll hat eine Spalte für Namen oder Nutzerkennungen**" in text
    assert "**Die Schlüsseltabelle hat eine Spalte für das Geheimnis.**" in text
    assert "nur als Pseudonym" not in text


def test_the_sign_in_provider_and_classifier_rules_are_in_the_record(tmp_path: Path) -> None:
    from gemeingut.serve.gateway.policy import PolicyFile
    from gemeingut.serve.oidc import OidcSettings

    engine = open_store(str(tmp_path / "gateway.db"))
    sign_in = OidcSettings(
        "https://sso.amt.example/realms/staff", "page", "preferred_username", groups_claim="groups"
    )
    rule = {
        "id": "beleidigung",
        "kind": "classifier",
        "action": "refuse",
        "model": "models/offensiv",
        "labels": ["OFFENSE"],
        "text": {"de": "a", "en": "b"},
    }
    spec = PolicyFile(id="amt", version="1", title={"de": "a", "en": "b"}, rules=[rule])
    now = datetime(2026, 12, 4, 9, 30)
    facts = deployment_facts("m", None, 30, Policy(spec, "0" * 64), now, sign_in=sign_in)
    record_deployment(engine, facts)
    german = render_record(read_record(engine, ControllerFacts(), now))
    assert (
        "Anmeldung über den Identitätsanbieter `https://sso.amt.example/realms/staff`: aus seinem "
        "ID-Token liest der Server den Claim `preferred_username` (welches Nutzerkonto) und den "
        "Claim `groups`"
    ) in german
    assert "die Sitzungsschlüssel der Seite gelten 8 Stunden" in german
    assert "ein Klassifikationsmodell über jede Anfrage urteilen lassen: beleidigung." in german
    english = render_record(read_record(engine, ControllerFacts(), now), "en")
    assert "reads the claim `preferred_username` (which user account) and the claim" in english
    record_deployment(engine, deployment_facts("m", None, 30, None, now))  # a later start
    assert "Identitätsanbieter" not in render_record(read_record(engine, ControllerFacts(), now))


def test_a_retention_set_before_any_server_started_is_no_start(tmp_path: Path) -> None:
    """The operating guide sets the retention before the first start: the record then says
    that no server has started, not that the model `?` last started on ?."""
    db = tmp_path / "gateway.db"
    open_store(str(db))
    set_retention = runner.invoke(
        app, ["admin", "audit", "retention", "--db", str(db), "--days", "180"]
    )
    assert set_retention.exit_code == 0, set_retention.output
    shown = records(str(db))
    said = " ".join(shown.output.split())
    assert shown.exit_code == 1, said  # facts and the deployment are missing
    assert (
        "Der Server hat mit dieser Datenbank noch nie gestartet: Modell, Maschine und Richtlinie "
        "sind unbekannt (die Löschfrist steht unter f)."
    ) in said
    assert "letzter Start am" not in said and "`?`" not in said
    assert "noch nicht bekannt: das bereitgestellte Modell, seine Maschine und seine " in said
    assert "`gemeingut serve MODELL --db …`" in said and "deployment" not in said
