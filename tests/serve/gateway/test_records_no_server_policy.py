"""The record of processing activities said "Keine Sicherheitsrichtlinie: Anfragen werden nicht
gefiltert." for a database no server had started with: nothing was known of a policy yet (the
operating guide sets the retention before the first start). It now says the policy is not known
yet, and "no policy" only where a server started without one (as commit dcd0dca did for the
retention)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.records import deployment_facts, record_deployment
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()
UNKNOWN = (
    "Sicherheitsrichtlinie: noch unbekannt, weil noch kein Server mit dieser Datenbank gestartet "
    "ist; der erste Start verzeichnet sie."
)


def _record(db: Path, *lang: str) -> str:
    shown = runner.invoke(app, [*lang, "admin", "audit", "records", "--db", str(db)])
    assert shown.exit_code == 1, shown.output  # the controller's facts are missing
    return " ".join(shown.output.split())


def test_the_policy_is_unknown_until_a_server_starts(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    assert UNKNOWN in _record(db)
    retention = ["admin", "audit", "retention", "--db", str(db), "--days", "180"]
    assert runner.invoke(app, retention).exit_code == 0  # as the guide does before any start
    said = _record(db)
    assert UNKNOWN in said and "Keine Sicherheitsrichtlinie" not in said, said
    english = _record(db, "--lang", "en")
    assert (
        "Safety policy: not known yet, as no server has started with this database; the first "
        "start records it."
    ) in english and "No safety policy" not in english, english
    record_deployment(engine, deployment_facts("m", None, 180, None, datetime.now(UTC)))
    said = _record(db)  # a server that started without a policy filters nothing
    assert "Keine Sicherheitsrichtlinie: Anfragen werden nicht gefiltert." in said, said
    assert "noch unbekannt" not in said
