"""`gemeingut serve --max-uploads N` bounds the documents the server reads and embeds at once:
the option reaches the app that a process (or each worker) builds from its plan; that its
processes share the bound, `test_upload_slots_shared.py` shows."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app as cli
from gemeingut.serve.runner import build_app
from tests.serve.plans import small_plan


def test_max_uploads_reaches_the_app_of_each_process(model_dir: Path, tmp_path: Path) -> None:
    plan = small_plan(model_dir, collections=tmp_path, upload_max_bytes=1024 * 1024, max_uploads=2)
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
