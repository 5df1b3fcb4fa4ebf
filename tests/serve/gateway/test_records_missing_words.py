"""`admin audit records` says what the record still lacks in words and how to set it: before,
"noch nicht angegeben: deployment" and "audit_retention" named the database's own keys."""

from __future__ import annotations

from pathlib import Path

from gemeingut.serve.gateway.store import open_store
from tests.test_cli import invoke


def test_a_fresh_database_says_what_is_missing_in_words(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    open_store(str(db))
    shown = invoke("admin", "audit", "records", "--db", db)
    assert shown.exit_code == 1, shown.output
    said = " ".join(shown.stderr.split())
    assert (
        "noch nicht bekannt: das bereitgestellte Modell, seine Maschine und seine "
        "Sicherheitsrichtlinie; ein Server verzeichnet sie bei jedem Start mit dieser Datenbank: "
        "`gemeingut serve MODELL --db …`"
    ) in said, said
    assert (
        "noch nicht festgelegt: wie lange das Protokoll aufbewahrt wird (die Löschfrist); legen "
        "Sie sie fest mit `gemeingut admin audit retention --db … --days N`"
    ) in said, said
    assert "deployment" not in said and "audit_retention" not in said
    english = invoke("--lang", "en", "admin", "audit", "records", "--db", db)
    assert "`gemeingut serve MODEL --db …`" in " ".join(english.stderr.split())
