"""`reproduce` compares the libraries its rebuild runs with against the bundle's
`training-code/requirements.lock` before rebuilding, and runs the rebuild with `--python`: the
comparison on real lockfiles against the real running interpreter, and a real bare venv."""

import json
import sys
import venv
from importlib import metadata
from pathlib import Path

from gemeingut.cli.release import compared_lines
from gemeingut.i18n import text
from gemeingut.release.bundle import lockfile
from gemeingut.release.reproduce import Comparison, run_own_code
from gemeingut.release.reproduce_environment import (
    compare,
    interpreter,
    likely_cause,
    make_environment,
    said,
)
from tests.release.audit_folders import invoke


def _bundle_with_lock(folder: Path, lock: str | None) -> Path:
    (folder / "training-code").mkdir(parents=True)
    if lock is not None:
        (folder / "training-code" / "requirements.lock").write_text(lock, encoding="utf-8")
    return folder


def _said(lines: list) -> str:
    return "\n".join(text(line) for line in lines)


def test_a_changed_a_missing_and_a_malformed_line_are_each_named(tmp_path: Path) -> None:
    torch, rich = metadata.version("torch"), metadata.version("rich")
    lock = (
        lockfile()
        .replace(f"\ntorch=={torch}\n", "\ntorch==1.0.0\n")
        .replace(f"\nrich=={rich}\n", "\nrich==1.0.0\nnicht-installiert==2.0\nkaputt 1.0\n")
    )
    bundle = _bundle_with_lock(tmp_path / "bundle", lock)
    lines = lock.splitlines()
    environment = compare(bundle, interpreter(None))
    assert [(d.name, d.locked, d.installed) for d in environment.differing] == [
        ("torch", "1.0.0", torch),  # the one that shapes the numbers first
        ("rich", "1.0.0", rich),
        ("nicht-installiert", "2.0", None),
    ]
    assert environment.malformed == [(lines.index("kaputt 1.0") + 1, "kaputt 1.0")]
    shown = _said(said(environment, bundle, asked=False))
    number = lines.index("kaputt 1.0") + 1
    assert f"requirements.lock Zeile {number} ist nicht name==version" in shown, shown
    assert f"torch 1.0.0 ≠ {torch}" in shown and "rich 1.0.0" not in shown
    assert "und 2 weitere Distributionen" in shown
    assert f"{bundle}/training-code/requirements.lock | DIR/bin/pip install -r" in shown
    assert "--python" not in _said(said(environment, bundle, asked=True))
    cause = text(likely_cause(environment))
    assert "torch und 2 weiteren Distributionen" in cause, cause
    as_json = environment.as_json()
    assert as_json["differing"][0] == {
        "name": "torch",
        "locked": "1.0.0",
        "used": torch,
        "shaping": True,
    }
    assert as_json["malformed_lines"] == [number]


def test_the_closing_lines_name_the_differing_libraries_only_where_artifacts_differ(
    tmp_path: Path,
) -> None:
    numpy = metadata.version("numpy")
    changed = lockfile().replace(f"\nnumpy=={numpy}\n", "\nnumpy==1.0.0\n")
    differing = compare(_bundle_with_lock(tmp_path / "a", changed), interpreter(None))
    same = compare(_bundle_with_lock(tmp_path / "b", lockfile()), interpreter(None))
    equal = Comparison("model", "model", "m-1", "m-1")
    unequal = Comparison("model", "model", "m-1", "m-2")
    assert compared_lines([unequal], differing)[-1] == (
        "[yellow]![/]",
        "eine wahrscheinliche Ursache: der Neubau lief mit anderen Versionen von numpy, als die "
        "Veröffentlichung gebaut wurde",
    )
    assert compared_lines([equal], differing) == compared_lines([equal])
    assert compared_lines([unequal], same) == compared_lines([unequal])


def test_the_lockfile_of_this_interpreter_shows_no_differences(tmp_path: Path) -> None:
    bundle = _bundle_with_lock(tmp_path / "bundle", lockfile())
    environment = compare(bundle, interpreter(Path(sys.executable)))
    assert environment.differing == [] and not environment.differs
    assert "keine Abweichungen" in _said(said(environment, bundle, asked=True))
    assert likely_cause(environment) is None


def test_a_bundle_without_a_lockfile_says_it_could_not_compare(tmp_path: Path) -> None:
    bundle = _bundle_with_lock(tmp_path / "bundle", None)
    environment = compare(bundle, interpreter(None))
    assert not environment.compared and likely_cause(environment) is None
    assert "konnten nicht mit denen verglichen werden" in _said(said(environment, bundle, False))


def test_the_rebuild_runs_with_the_interpreter_chosen(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "who.py").write_text("import json, sys\nprint(json.dumps(sys.prefix))\n")
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    answer = run_own_code(
        ["-m", "who"], code, tmp_path, lambda line: None, str(bare / "bin/python")
    )
    assert Path(answer) == bare
    assert Path(run_own_code(["-m", "who"], code, tmp_path, lambda line: None)) == Path(sys.prefix)


def test_the_recipe_for_an_environment_adds_pytorch_s_index_where_the_lockfile_pins_its_builds(
    tmp_path: Path,
) -> None:
    """`torch==2.13.0+cpu` is served by PyTorch's own index, not PyPI's: the printed recipe
    names the index of each build the lockfile pins (before: PyPI alone, and pip failed)."""
    locks = {
        "cpu": "# Python 3.11.7; installed\nnumpy==2.1.0\ntorch==2.13.0+cpu\n",
        "cuda": "torch==2.13.0+cu121\ntorchvision==0.28.0+cu121\nwheel==0.45.1+local\n",
        "pypi": "numpy==2.1.0\ntorch==2.13.0\n",
    }
    recipes = {
        name: text(make_environment(_bundle_with_lock(tmp_path / name, lock)))
        for name, lock in locks.items()
    }
    index = "https://download.pytorch.org/whl"
    assert f"| DIR/bin/pip install --extra-index-url {index}/cpu -r /dev/stdin" in recipes["cpu"]
    assert recipes["cuda"].count("--extra-index-url") == 1, recipes["cuda"]
    assert f"--extra-index-url {index}/cu121 -r" in recipes["cuda"]
    assert "| DIR/bin/pip install -r /dev/stdin" in recipes["pypi"], recipes["pypi"]


def test_an_interpreter_that_cannot_run_the_rebuild_is_refused_before_any_work(
    bundle: Path, tmp_path: Path
) -> None:
    script = tmp_path / "kein-python"
    script.write_text("#!/bin/sh\necho hallo\n")
    script.chmod(0o755)
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)  # a Python without the libraries the bundle's code needs
    refusals = {
        tmp_path / "fehlt": "ist keine ausführbare Datei",
        script: "antwortete nicht wie ein Python-3-Interpreter",
        bare / "bin" / "python": "ModuleNotFoundError",
    }
    for python, expected in refusals.items():
        workspace = tmp_path / f"again-{python.name}"
        result = invoke("reproduce", bundle, "--workspace", workspace, "--python", python)
        said_ = " ".join(result.output.split())
        assert result.exit_code == 2 and expected in said_, said_
        assert "Traceback" not in result.output and not workspace.exists()
    assert "DIR/bin/pip install" in said_ and "-r /dev/stdin" in said_  # how to make one


def test_a_rebuild_with_the_interpreter_of_the_build_finds_no_differences(
    bundle: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    result = invoke("reproduce", bundle, "--workspace", again, "--python", sys.executable, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert all(row["equal"] for row in summary["artifacts"])
    environment = summary["environment"]
    assert environment["compared"] and environment["python"] == sys.executable
    assert environment["differing"] == [] and environment["malformed_lines"] == []
    assert "keine Abweichungen von training-code/requirements.lock" in " ".join(
        result.stderr.split()
    )


def test_a_lockfile_that_is_not_utf_8_names_its_line_not_a_traceback(tmp_path: Path) -> None:
    bundle = _bundle_with_lock(tmp_path / "bundle", "")
    (bundle / "training-code" / "requirements.lock").write_bytes(b"rich==1.0\n\xff\xfe==1\n")
    environment = compare(bundle, interpreter(None))
    assert [number for number, _line in environment.malformed] == [2]
    assert "| DIR/bin/pip install -r /dev/stdin" in text(make_environment(bundle))
