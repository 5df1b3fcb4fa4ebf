"""`gemeingut admin users remove` with several findings files, one of them malformed: every
file is read first, and the malformed one stops the removal before anything changes (the
person, their keys and their reports in the other files stay), in German words that name the
file and its line. Once it is repaired, the same command erases the reports in every file.
Before, the files before the malformed one were erased and the person stayed: a removal half
done. Real SQLite, real files, the real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.audit.findings import import_findings, read_findings
from gemeingut.cli import app
from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.serve.findings_files import findings_files, remember_findings_file
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, list_users
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def _reports_of(reporter: str, into: Path, tmp_path: Path) -> None:
    """Two reports by `reporter` in the findings file `into`."""
    submissions = tmp_path / f"submissions-{into.stem}.jsonl"
    lines = [
        {"category": "bias", "prompt": f"Sind Alte langsam? ({into.stem})", "response": "Ja."},
        {"category": "wrong", "prompt": f"Ist Köln klein? ({into.stem})", "response": "Ja."},
    ]
    submissions.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_findings([submissions], into, "modell", reporter)


def _two_in_order(tmp_path: Path) -> tuple[Path, Path]:
    """Two file names in the order the remembered files are taken (the order of a hash of their
    path), so that the first would be erased before the second is reached. Chosen among several
    names: a fixed first name whose hash happens to be near the top had no name after it."""
    names = [tmp_path / f"befunde-{number}.jsonl" for number in range(8)]
    ranked = sorted(names, key=lambda p: hashlib.sha256(str(p.resolve()).encode()).hexdigest())
    return ranked[0], ranked[-1]


def test_a_malformed_findings_file_stops_the_removal_before_anything_changes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    pseudonym = person_pseudonym(engine, "anna")
    good, broken = _two_in_order(tmp_path)
    _reports_of(pseudonym, good, tmp_path)
    _reports_of(pseudonym, broken, tmp_path)
    lines = broken.read_text(encoding="utf-8").splitlines()
    broken.write_text(lines[0] + "\n" + lines[1][:-5] + "\n", encoding="utf-8")  # line 2 cut
    for path in (good, broken):
        remember_findings_file(engine, path)
    assert findings_files(engine) == [good.resolve(), broken.resolve()]  # good first
    good_before = good.read_bytes()

    refused = runner.invoke(app, ["admin", "users", "remove", "anna", "--yes", "--db", str(db)])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())  # the terminal wraps long lines
    assert f"die Befund-Datei {broken.resolve()} kann nicht gelesen werden" in said
    assert "nichts gelöscht oder entfernt" in said
    assert f"{broken.resolve()}:2: kein gültiges JSON" in said
    assert "Traceback" not in refused.output
    assert good.read_bytes() == good_before  # the reports in the file before it stay too
    assert [u["name"] for u in list_users(engine)] == ["anna"]
    assert authenticate(engine, key).user == "anna"  # her key still works

    broken.write_text(lines[0] + "\n" + lines[1] + "\n", encoding="utf-8")  # repaired
    removed = runner.invoke(app, ["admin", "users", "remove", "anna", "--yes", "--db", str(db)])
    assert removed.exit_code == 0, removed.output
    assert "4 noch nicht bestätigte entfernt" in removed.output
    assert read_findings(good) == [] and read_findings(broken) == []
    assert list_users(engine) == []
