"""`gemeingut serve --max-uploads N` bounds the documents the server reads and embeds at once:
the option reaches the app that a process (or each worker) builds from its plan; that its
processes share the bound, `test_upload_slots_shared.py` shows."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app as cli
from gemeingut.serve.runner import AppPlan, Placement, build_app


def test_max_uploads_reaches_the_app_of_each_process(model_dir: Path, tmp_path: Path) -> None:
    plan = AppPlan(
        model_dir=model_dir,
        path=model_dir,
        model_name="klein",
        upstream=None,
        upstream_model=None,
        api_key=None,
        placement=Placement("cpu", "fp32"),
        threads=None,
        hosts=None,
        max_body_bytes=1024 * 1024,
        max_waiting=4,
        db=None,
        content_log_days=None,
        audit_retention_days=None,
        policy=None,
        oidc=None,
        oidc_key=None,
        collections=tmp_path,
        findings=None,
        triage_group="triage",
        trace_data=None,
        reranker=None,
        also=(),
        upload_max_bytes=1024 * 1024,
        max_uploads=2,
    )
    assert build_app(plan).state.upload_slots.most == 2


def test_serve_takes_max_uploads_of_at_least_one() -> None:
    refused = CliRunner().invoke(cli, ["serve", "modell", "--max-uploads", "0"])
    assert refused.exit_code == 2
    assert "--max-uploads" in refused.output and "No such option" not in refused.output
    assert "Keine solche Option" not in refused.output


def test_the_operators_guide_states_the_default_that_serve_uses() -> None:
    """The guide's number is the option's default, not a sentence that may drift from it."""
    from gemeingut.serve.limits import DEFAULT_MAX_UPLOADS

    guide = (Path(__file__).parents[2] / "docs" / "operating.md").read_text(encoding="utf-8")
    assert f"`--max-uploads` ({DEFAULT_MAX_UPLOADS})" in " ".join(guide.split())
