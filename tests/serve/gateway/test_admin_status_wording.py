"""`admin users remove` said "Person anna entfernt (1 Schlüssel, 0 protokollierte Anfragen)": a
bare count in brackets that read as if nobody's requests had been logged, while the audit log
keeps its records; what went is the content that content logging stored. The line now says
what was deleted in words, zero as "kein"/"no", and what stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.serve.gateway.content_log import keep
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.gateway.people import person

runner = CliRunner()


def _removed(db: Path, name: str, *lang: str) -> str:
    result = runner.invoke(app, [*lang, "admin", "users", "remove", name, "--yes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _people(db: Path, keys: dict[str, int], stored: dict[str, int]) -> None:
    engine = open_store(str(db))
    for name, count in keys.items():
        add_user(engine, name, ())
        for _ in range(count):
            create_key(engine, name)
        pseudonym = person_pseudonym(engine, name)
        for n in range(stored.get(name, 0)):  # as a server with content logging stores it
            at = datetime.now(UTC)
            whose = person(engine, name)
            keep(
                engine,
                at,
                f"{name}-{n}",
                pseudonym,
                whose,
                "/v1/chat/completions",
                "m",
                {"messages": [{"role": "user", "content": "q"}]},
                ["a"],
            )
    engine.dispose()


def test_the_removal_says_in_words_what_went_and_what_stays(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    _people(db, {"anna": 1, "ben": 2, "cem": 0, "dora": 0}, {"ben": 1, "cem": 3, "dora": 2})
    assert (
        "✓ Person anna entfernt: 1 Schlüssel und keine gespeicherten Inhalte von Anfragen "
        "gelöscht; das Audit-Protokoll behält seine pseudonymisierten Einträge bis zu seiner "
        "Löschfrist"
    ) in _removed(db, "anna")
    assert "entfernt: 2 Schlüssel und der gespeicherte Inhalt von 1 Anfrage gelöscht;" in (
        _removed(db, "ben")
    )
    assert "entfernt: kein Schlüssel und die gespeicherten Inhalte von 3 Anfragen gelöscht;" in (
        _removed(db, "cem")
    )
    assert (
        "✓ user dora removed, with no keys and the stored content of 2 requests; the audit "
        "log keeps its pseudonymised records until its deletion period"
    ) in _removed(db, "dora", "--lang", "en")
