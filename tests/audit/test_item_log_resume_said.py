"""An audit stopped by Ctrl-C says that the entries already scored are kept and the same command
resumes (it ended with exit 130 and no word), and the rerun says how many it found scored (it
went on without a word)."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gemeingut.audit.item_log import ItemLog
from gemeingut.cli.common import user_errors


def test_a_rerun_says_how_many_entries_were_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bias.jsonl"
    ItemLog(path).add([{"id": "a"}, {"id": "b"}])
    capsys.readouterr()
    log = ItemLog(path)
    assert log.missing(["a", "b", "c"]) == ["c"]
    assert log.missing(["a", "b", "c"]) == ["c"]  # said once, not at every look
    said = capsys.readouterr().err
    assert said.count("setzt bias fort: 2 von 3 Einträgen bereits bewertet") == 1, said


def test_a_fresh_log_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ItemLog(tmp_path / "bias.jsonl").missing(["a"]) == ["a"]
    assert capsys.readouterr().err == ""


def test_ctrl_c_while_scoring_says_what_is_kept(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.command()
    @user_errors
    def scoring() -> None:
        ItemLog(tmp_path / "redteam.jsonl").add([{"id": "a"}])
        raise KeyboardInterrupt

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 130
    said = " ".join(result.stderr.split())
    assert said == (
        "Abgebrochen; bereits bewertete Einträge sind gespeichert, derselbe Befehl setzt fort"
    )
    assert "Traceback" not in result.output
