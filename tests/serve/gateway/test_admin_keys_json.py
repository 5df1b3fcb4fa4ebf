"""`admin keys list --json` gives a key's models as data a script can use without parsing: a
list of names, or null for a key that may use every model; the table says it in words."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app

runner = CliRunner()


def admin(db: Path, *args: str):
    result = runner.invoke(app, ["admin", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_models_are_a_list_or_null_in_json_and_words_in_the_table(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna")
    admin(db, "keys", "create", "--user", "anna", "--name", "every")
    admin(db, "keys", "create", "--user", "anna", "--name", "two", "--model", "a", "--model", "b")
    admin(db, "keys", "create", "--user", "anna", "--name", "one", "--model", "a, b")
    models = {row["name"]: row["models"] for row in json.loads(admin(db, "keys", "list", "--json"))}
    assert models == {"every": None, "two": ["a", "b"], "one": ["a, b"]}
    table = admin(db, "keys", "list")
    assert "alle" in table and "a, b" in table
