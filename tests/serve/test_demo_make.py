"""`make demo`'s last steps, run by make as a user runs them (`make demo-key`, `make
demo-serve`, which `make demo` runs after its build): the admin's key is shown once, when it is
made, and a later run says where it was shown and how to make a new one; the server is said
ready once it answers; Ctrl-C or SIGTERM stops it without make reporting an error."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.serve.test_serve_ready import said_lines
from tests.serve.test_serve_start import environment, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _make(target: str, workspace: Path, *variables: str) -> list[str]:
    return ["make", "--no-print-directory", "-C", str(ROOT), target,
            f"WORKSPACE={workspace}", f"BIN={BIN}", *variables]  # fmt: skip


def _environment() -> dict[str, str]:
    """A make of its own, not one of a `make test` around the tests."""
    outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    return {k: v for k, v in environment().items() if k not in outer}


def _key_run(workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _make("demo-key", workspace),
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=300,
    )


def test_the_key_is_shown_when_made_and_a_restart_says_how_to_get_a_new_one(
    tmp_path: Path,
) -> None:
    first, again = _key_run(tmp_path), _key_run(tmp_path)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert any(line.startswith("gg_") for line in first.stdout.splitlines()), first.stdout
    assert "nur dieses eine Mal gezeigt" in first.stdout
    assert "gg_" not in again.stdout and "oben" not in again.stdout
    assert "beim ersten Start gezeigt" in again.stdout
    create = f"{BIN}/gemeingut admin keys create --user admin --db {tmp_path}/gateway.db"
    assert create in again.stdout
    made = subprocess.run(
        create.split(), capture_output=True, text=True, env=_environment(), timeout=120
    )
    assert made.returncode == 0 and made.stdout.startswith("gg_"), made.stderr


def test_a_database_left_without_the_key_is_not_said_to_have_shown_it(tmp_path: Path) -> None:
    """A first run that broke off after the database was made, before the key: the next run
    says no key was made and what to do, not that the key was shown at the first start."""
    group = ["admin", "groups", "add", "demo", "--db", str(tmp_path / "gateway.db")]
    made = subprocess.run(
        [f"{BIN}/gemeingut", *group],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    again = _key_run(tmp_path)
    assert again.returncode != 0 and "beim ersten Start gezeigt" not in again.stdout
    assert "keinen Schlüssel für admin" in again.stderr and "make demo" in again.stderr


def test_serving_an_unbuilt_demo_says_to_build_it(tmp_path: Path) -> None:
    """The release is read from build.json in the server's command line, where a missing one
    stopped nothing: two tracebacks, then serve's complaint of no model."""
    served = subprocess.run(
        _make("demo-serve", tmp_path / "workspace"),
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
    )
    assert served.returncode != 0
    assert "build.json fehlt" in served.stderr and "make demo" in served.stderr, served.stderr
    assert "Traceback" not in served.stderr and "gemeingut serve" not in served.stdout


def test_a_failed_build_keeps_the_last_built_release(tmp_path: Path) -> None:
    """`make demo` whose build fails (here: its recipe is gone) leaves build.json as the last
    good build wrote it, not emptied by the shell's redirect, and no half-written file."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    built = workspace / "build.json"
    built.write_text(json.dumps({"release": {"path": str(tmp_path / "release")}}))
    before = built.read_text()
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than pyproject.toml: nothing is installed
    made = subprocess.run(
        _make("demo", workspace, f"RECIPE={tmp_path / 'fehlt.toml'}", f"STAMP={stamp}"),
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=300,
    )
    assert made.returncode != 0 and "fehlt.toml" in made.stderr, made.stdout + made.stderr
    assert built.read_text() == before
    assert sorted(p.name for p in workspace.iterdir()) == ["build.json", "keys"]


@pytest.fixture
def workspace(model_dir: Path, tmp_path: Path) -> Path:
    """A workspace as `make demo` leaves it, its release the tiny model."""
    release = tmp_path / "release"
    shutil.copytree(model_dir, release)
    (release / "bundle" / "training-data").mkdir(parents=True)
    (release / "bundle" / "training-data" / "text.txt").write_text("Offene Daten.\n")
    workspace = tmp_path / "workspace"
    (workspace / "collections").mkdir(parents=True)
    (workspace / "build.json").write_text(json.dumps({"release": {"path": str(release)}}))
    assert _key_run(workspace).returncode == 0
    return workspace


@pytest.mark.parametrize(
    ("stop", "whom"),
    [(signal.SIGINT, "group"), (signal.SIGTERM, "group"), (signal.SIGTERM, "make")],
)
def test_the_served_demo_is_ready_once_it_answers_and_stops_without_an_error(
    workspace: Path, stop: signal.Signals, whom: str
) -> None:
    """Ctrl-C sends SIGINT to make and all it runs; `kill` or a service manager SIGTERM to
    them all, or to make alone (which passes it on)."""
    port = free_port()
    make = subprocess.Popen(
        _make("demo-serve", workspace, f"PORT={port}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_environment(),
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert make.stdout is not None
    said, lines = [], said_lines(make.stdout)
    try:
        for line in lines:
            said.append(line)
            if line.startswith("Bereit auf"):
                break
        assert said[-1] == f"Bereit auf http://127.0.0.1:{port}; Strg-C beendet\n", said
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
        if whom == "group":
            os.killpg(make.pid, stop)
        else:
            make.send_signal(stop)
        make.wait(timeout=60)
        said += lines  # to the end: once the server is gone too
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left of make's group
            os.killpg(make.pid, signal.SIGKILL)
        make.wait()
    # make itself ends as signalled when the signal reached it; it reports no error
    assert make.returncode in (0, -stop), said
    assert not any(line.startswith(("make: ***", "Terminated")) for line in said), said
    assert not any("Traceback" in line for line in said), said
    with pytest.raises(httpx.ConnectError):  # the server stopped with it
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
