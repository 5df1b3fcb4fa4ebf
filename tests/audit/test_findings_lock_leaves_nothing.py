"""`gemeingut audit findings` leaves nothing beside a findings file but the file (its lock is
removed after use, also when nothing was written), and refuses a findings file in a folder that
does not exist instead of creating the folder, as every export command does."""

from __future__ import annotations

import threading
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.audit.findings import import_findings, locked, read_findings
from gemeingut.cli import app

HEADER = "category,prompt,response\n"


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_import_triage_and_merge_leave_no_lock_file(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(HEADER + "bias,Sind Alte langsam?,Ja.\n", encoding="utf-8")
    into = tmp_path / "f.jsonl"
    assert (
        _invoke("audit", "findings", "import", campaign, "--into", into, "--model", "m").exit_code
        == 0
    )
    [finding] = read_findings(into)
    assert (
        _invoke(
            "audit", "findings", "triage", into, finding["id"], "--status", "confirmed"
        ).exit_code
        == 0
    )
    refused = _invoke("audit", "findings", "triage", into, "f-none", "--status", "rejected")
    assert refused.exit_code == 2  # nothing written
    assert (
        _invoke("audit", "findings", "merge", into, "--out", tmp_path / "all.jsonl").exit_code == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.jsonl", "campaign.csv", "f.jsonl"]


def test_a_findings_file_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(HEADER + "bias,Sind Alte langsam?,Ja.\n", encoding="utf-8")
    missing = tmp_path / "nonexist"
    result = _invoke(
        "audit", "findings", "import", campaign, "--into", missing / "f.jsonl", "--model", "m"
    )
    assert result.exit_code == 2
    assert f"der Ordner {missing} existiert nicht" in result.stderr
    assert not missing.exists()


def test_writers_that_wait_for_the_lock_still_take_turns(tmp_path: Path) -> None:
    """The lock file goes after each use: a writer that waited on the removed one takes it
    anew, so that no two hold the file at once and no update is lost."""
    into = tmp_path / "f.jsonl"
    held: list[int] = []
    overlaps: list[bool] = []

    def write(i: int) -> None:
        source = tmp_path / f"c{i}.csv"
        source.write_text(HEADER + f"bias,Frage {i}?,Ja.\n", encoding="utf-8")
        with locked(into):
            held.append(i)
            overlaps.append(len(held) > 1)
            held.remove(i)
        import_findings([source], into, "m", None)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(overlaps)
    assert len(read_findings(into)) == 8
    assert not into.with_name(f".{into.name}.lock").exists()
