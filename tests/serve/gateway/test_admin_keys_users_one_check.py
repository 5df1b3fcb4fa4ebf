"""Facts that several `gemeingut admin` commands need are read in one place: whether a user
exists (every command that acts on a named user refuses an unknown one alike, pointing at the
list, since a typo is likelier than a person still to be created), and the rotation chain of a
key (`keys rotate` and `quotas set --key` name the same last key). No admin module reaches into
another's private names for such a fact."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import gemeingut
from tests.test_cli import invoke

ADMIN = Path(gemeingut.__file__).parent / "cli" / "admin"


def admin(db: Path, *args: str):
    return invoke("--lang", "en", "admin", *args, "--db", db)


def said(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_an_unknown_user_is_refused_alike_by_every_command_that_names_one(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    refusals = {
        said(admin(db, *command, "ghost"))
        for command in (
            ("users", "disable"),
            ("users", "enable"),
            ("users", "remove"),
            ("keys", "list", "--user"),
            ("quotas", "free-streams", "--user"),
        )
    }
    assert len(refusals) == 1, refusals
    (refusal,) = refusals
    assert "no user 'ghost'" in refusal and "gemeingut admin users list" in refusal
    assert "users add" not in refusal


def test_rotate_and_quotas_name_the_same_last_key_of_a_chain(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    assert admin(db, "users", "add", "anna").exit_code == 0
    key = json.loads(admin(db, "keys", "create", "--user", "anna", "--json").stdout)["id"]
    first = json.loads(admin(db, "keys", "rotate", key, "--json").stdout)["id"]
    last = json.loads(admin(db, "keys", "rotate", first, "--json").stdout)["id"]
    rotate = said(admin(db, "keys", "rotate", key))
    assert f"`gemeingut admin keys rotate {last}`" in rotate
    limit = said(admin(db, "quotas", "set", "--key", key, "--tokens-per-day", "5"))
    assert f"--key {last}" in limit


def test_no_admin_module_imports_a_private_name_of_another() -> None:
    reached = [
        f"{path.name}: {node.module}.{alias.name}"
        for path in sorted(ADMIN.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gemeingut")
        for alias in node.names
        if alias.name.startswith("_") and alias.name != "_"
    ]
    assert reached == []
