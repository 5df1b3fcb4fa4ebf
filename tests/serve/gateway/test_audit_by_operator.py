"""`admin audit export --by OPERATOR`: the acts of one administrator, found by the name they
acted as, although the log keeps only its pseudonym; a name with no act is a German error."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.store import open_store

runner = CliRunner()


def admin(db: Path, *args: str, operator: str = "root"):
    return runner.invoke(app, ["admin", *args, "--db", str(db), "--operator", operator])


def exported(db: Path, *args: str) -> list[dict]:
    result = runner.invoke(app, ["admin", "audit", "export", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_the_acts_of_one_operator_are_exported_by_their_name(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    runner.invoke(app, ["admin", "groups", "add", "schule", "--db", str(db)])
    admin(db, "users", "add", "anna", "--group", "schule", operator="m.weber")
    admin(db, "quotas", "set", "--user", "anna", "--tokens-per-day", "100", operator="m.weber")
    admin(db, "quotas", "set", "--group", "schule", "--requests-per-minute", "5", operator="k.lang")
    records = exported(db, "--by", " m.weber ", "--operator", "dsb")
    assert [r["route"] for r in records] == ["admin:users-add", "admin:quotas-set"]
    [weber] = {r["operator_pseudonym"] for r in records}
    assert "m.weber" not in json.dumps(records)  # the name stays out of the log and the export
    # an export's pseudonym finds the same acts again
    assert exported(db, "--by", weber) == records
    everything = list(export(open_store(str(db))))
    assert {r["operator_pseudonym"] for r in everything} >= {weber}
    assert len([r for r in everything if r.get("operator_pseudonym") == weber]) == 2
    # the export itself is on record: how many, and whose acts were read
    reads = [r for r in everything if r["route"] == "admin:audit-export"]
    assert reads[0]["decision"] == f"read:2;by:{weber}"


def test_an_operator_without_any_act_is_a_german_error(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    admin(db, "users", "add", "anna", operator="m.weber")
    for name in ("m.webr", "", "0123456789abcdef"):
        result = runner.invoke(app, ["admin", "audit", "export", "--db", str(db), "--by", name])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "keine Administrationshandlung von" in said and "Traceback" not in said
        assert "GEMEINGUT_OPERATOR" in said
