"""`audit memorisation` of a model whose training documents are unknown, without canaries,
measures no memorisation: refused with the reason and a non-zero exit, before any artifact is
begun (it built one and exited 0, its report saying only „nicht geprüft“); beside another suite
the audit still runs, with the note."""

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.audit.memorisation_idle import refuse_idle_memorisation
from gemeingut.audit.subject import Subject
from gemeingut.cli import app
from gemeingut.recipe import audit_section


def test_memorisation_alone_without_training_documents_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2"}', encoding="utf-8")
    out = tmp_path / "audit"
    result = CliRunner().invoke(app, ["audit", "memorisation", str(model), "--out", str(out)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "Memorisierung lässt sich nicht messen" in said, said
    assert "--training-data" in said and "Traceback" not in said
    assert not out.exists()


def test_memorisation_beside_another_suite_or_with_canaries_runs(tmp_path: Path) -> None:
    subject = Subject("m", "sha256:0", model_dir=tmp_path)
    for overrides in (
        {"suites": ["memorisation", "redteam"]},
        {"suites": ["memorisation"], "memorisation.canaries": str(tmp_path / "c.json")},
    ):
        refuse_idle_memorisation(audit_section(None, overrides), subject)  # no refusal
