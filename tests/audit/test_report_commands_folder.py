"""Every command of an audit report runs in one folder, the one the report lies in (in a
bundle: audit/, where its header's `../model` and its lm_eval command's `tasks/` are), and the
report says so (a new user's trial: the re-run line only worked from the bundle's root). A
command run elsewhere is recorded with the `cd` back to where it ran."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

from gemeingut.audit.report_markdown import rerun_command
from tests.audit.shell_command import run_command
from tests.audit.test_audit_stage import bundle_of, write_one_pair

SAID_DE = "in dem Ordner ausgeführt, in dem dieser Bericht liegt (im Release-Paket: `audit/`)"
SAID_EN = "it runs in the folder this report lies in (in a release bundle: `audit/`)"


def test_a_standalone_report_s_command_runs_in_the_report_s_folder(
    german_model: Path, tmp_path: Path
) -> None:
    write_one_pair(tmp_path / "pairs.jsonl")
    typed = os.path.relpath(german_model, tmp_path)  # every path typed relative: kept, with a cd
    first = f"gemeingut audit bias {shlex.quote(typed)} --pairs pairs.jsonl"
    run_command(f"{first} --out work/out", tmp_path, dict(os.environ))
    out = tmp_path / "work" / "out"
    command = json.loads((out / "report.json").read_text())["command"]
    assert command.startswith("cd ../.. && gemeingut audit bias")
    assert SAID_DE in (out / "report.de.md").read_text()
    assert SAID_EN in (out / "report.en.md").read_text()
    run_command(command, out, dict(os.environ))  # pairs.jsonl and work/out found from there


def test_a_bundle_s_rerun_command_runs_in_its_audit_folder(
    tiny_build: dict, tmp_path: Path
) -> None:
    bundle = shutil.copytree(bundle_of(tiny_build), tmp_path / "release" / "bundle")
    report = json.loads((bundle / "audit" / "report.json").read_text())
    german = (bundle / "audit" / "report.de.md").read_text()
    assert f"- Modell: `{report['model']['path']}`" in german and SAID_DE in german
    assert "--include_path tasks" in report["tasks"]["lm_eval"]["command"]
    # the recorded command, from audit/ like the report's other commands (one suite: quick)
    run_command(f"{report['command']} --suite bias", bundle / "audit", dict(os.environ))
    again = json.loads((bundle.parent / "audit-rerun" / "report.json").read_text())  # beside it
    assert again["bias"]["categories"] == report["bias"]["categories"]  # the same model


def test_a_command_run_in_a_folder_named_like_an_option_changes_to_it(tmp_path: Path) -> None:
    """Run from out/-entwurf: the recorded `cd` reaches it, never `cd: -entwurf: invalid
    option`."""
    (tmp_path / "-entwurf").mkdir()
    command = rerun_command(["--help"], tmp_path / "-entwurf", tmp_path)
    run_command(f"{command} && test -d ../-entwurf", tmp_path, dict(os.environ))
