"""The libraries a rebuild runs with, against those its release was built with.

A bundle records the version of every installed distribution in
`training-code/requirements.lock` (`bundle.lockfile()`). Equal weights come out of a rebuild
only with the same numeric libraries, so before `reproduce` rebuilds, the interpreter that
will run the bundle's code (`--python`, else this one) is asked for its own distributions and
compared with the lockfile: what differs is said before the rebuild, and named as a likely
cause where artifacts then differ.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural
from gemeingut.release.layout import TRAINING_CODE
from gemeingut.release.openness.evidence import LOCKFILE

# The distributions whose version changes the numbers a rebuild computes, named first: torch
# (kernels, random streams), transformers (the model's code and initialisation), tokenizers
# (the tokenizer trained and the ids it gives), safetensors (the weights' bytes), numpy (data
# order and statistics), peft (LoRA's initialisation and merge), jinja2 (the chat template
# that renders each fine-tuning example), datasets and lm-eval (the audit's tasks and scores),
# gguf (the exported file's bytes). Any other differing one is counted, not named.
SHAPING = (
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "numpy",
    "peft",
    "jinja2",
    "datasets",
    "lm-eval",
    "gguf",
)
# The bundle's own code runs from its snapshot, first on the import path: the gemeingut
# installed beside it never runs, so its version is no difference.
OWN = "gemeingut"
LOCK_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
PYTHON_LINE = re.compile(r"# Python (\S+?);")
PYTORCH_INDEX = "https://download.pytorch.org/whl"  # its wheels of each build, by local label
PYTORCH_BUILD = re.compile(r"cpu|cu\d+|rocm[\d.]+|xpu")
ASK_TIMEOUT_S = 300  # importing the snapshot's CLI under load; a hung interpreter is refused
# Run by the interpreter asked: its Python version and distributions (the first of a name on
# the import path, the one an import finds); with an argument, whether the bundle's code
# (first on the path) starts: its CLI imported. Standard library only: it may be any Python 3.
_ASK = """
import json, platform, sys
from importlib import metadata
found = {}
for dist in metadata.distributions():
    if dist.metadata["Name"]:
        found.setdefault(dist.metadata["Name"], dist.version)
problem = None
if len(sys.argv) > 1:
    try:
        __import__(sys.argv[1])
    except BaseException as error:
        problem = f"{type(error).__name__}: {error}"
print("\\n" + json.dumps({"python": platform.python_version(), "found": found, "problem": problem}))
"""
START = "gemeingut.cli"  # what the bundle's code needs to start: its command line


@dataclass
class Installed:
    """What an interpreter answered about itself."""

    python: str  # its path, as given (a venv's python is a link: never resolved)
    version: str
    distributions: dict[str, str]  # by canonical name


@dataclass
class Differing:
    name: str
    locked: str
    installed: str | None  # None: not installed

    @property
    def shaping(self) -> bool:
        return self.name in SHAPING


@dataclass
class Environment:
    """The lockfile compared with the interpreter; `compared` False for a bundle without one."""

    python: str
    compared: bool
    python_locked: str | None = None
    python_installed: str = ""
    locked: int = 0  # distributions the lockfile lists (apart from gemeingut itself)
    differing: list[Differing] = field(default_factory=list)  # shaping ones first
    malformed: list[tuple[int, str]] = field(default_factory=list)  # line number, its text

    @property
    def python_differs(self) -> bool:
        return self.python_locked not in (None, self.python_installed)

    @property
    def differs(self) -> bool:
        return self.python_differs or bool(self.differing)

    def as_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "compared": self.compared,
            "lockfile": f"{TRAINING_CODE}/{LOCKFILE}" if self.compared else None,
            "python_version": {"locked": self.python_locked, "used": self.python_installed},
            "locked": self.locked,
            "differing": [
                {"name": d.name, "locked": d.locked, "used": d.installed, "shaping": d.shaping}
                for d in self.differing
            ],
            "malformed_lines": [number for number, _line in self.malformed],
        }


def canonical(name: str) -> str:
    """A distribution's name as pip compares names (PEP 503): `lm_eval` is `lm-eval`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def interpreter(python: Path | None) -> Installed:
    """The interpreter that will run the rebuild (None: this one), asked for its version and
    distributions; anything that cannot answer is refused with what to give instead."""
    path = str(python.absolute()) if python is not None else sys.executable
    if python is not None and not (python.is_file() and os.access(python, os.X_OK)):
        raise InputError(
            _("--python {path} is not an executable file", path=str(python)),
            _("give the path of a Python interpreter, e.g. VENV/bin/python"),
        )
    # the rebuild's import path is the snapshot's (no distributions of its own), not the caller's
    answer = _ask(path, [], {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    found = {canonical(name): version for name, version in answer["found"].items()}
    return Installed(path, answer["version"], found)


def starts(installed: Installed, code: Path, bundle: Path) -> None:
    """Refuses an interpreter in which the bundle's code (`code`, first on the import path,
    as the rebuild puts it) does not start, before anything is rebuilt."""
    from gemeingut.release.reproduce import own_code_environment

    problem = _ask(installed.python, [START], own_code_environment(code))["problem"]
    if problem:
        raise InputError(
            _(
                "the bundle's code does not start with {python}: {problem}",
                python=installed.python,
                problem=problem,
            ),
            make_environment(bundle),
        )


def _ask(python: str, arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    """The interpreter's answer to `_ASK` (its last line: what an import prints comes before),
    asked in an empty folder, as the rebuild runs in one: the folder it runs in comes first on
    its import path, and a project folder there would answer instead of `env`'s."""
    refused = InputError(
        _("{python} did not answer as a Python 3 interpreter", python=python),
        _("give the path of a Python interpreter, e.g. VENV/bin/python"),
    )
    try:
        with tempfile.TemporaryDirectory() as empty:
            done = subprocess.run(
                [python, "-c", _ASK, *arguments],
                cwd=empty,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
                timeout=ASK_TIMEOUT_S,
                check=False,
            )
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return {
            "version": str(answer["python"]),
            "found": dict(answer["found"]),
            "problem": answer["problem"],
        }
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError, KeyError, TypeError):
        raise refused from None


def compare(bundle: Path, installed: Installed) -> Environment:
    """The bundle's lockfile against the interpreter's distributions: each locked one that is
    missing or of another version (the ones that shape the numbers first), and the lines that
    are not `name==version`."""
    lock = bundle / TRAINING_CODE / LOCKFILE
    if not lock.is_file():
        return Environment(installed.python, compared=False)
    environment = Environment(installed.python, compared=True, python_installed=installed.version)
    differing = []
    for number, line in enumerate(lock.read_text("utf-8", errors="replace").splitlines(), 1):
        header = PYTHON_LINE.match(line)
        if header:
            environment.python_locked = header.group(1)
        if not line.strip() or line.startswith("#"):
            continue
        pinned = LOCK_LINE.fullmatch(line.strip())
        if pinned is None:
            environment.malformed.append((number, line))
            continue
        name, version = canonical(pinned.group(1)), pinned.group(2)
        if name == OWN:
            continue
        environment.locked += 1
        if installed.distributions.get(name) != version:
            differing.append(Differing(name, version, installed.distributions.get(name)))
    environment.differing = sorted(
        differing, key=lambda d: (not d.shaping, SHAPING.index(d.name) if d.shaping else 0)
    )
    return environment


def make_environment(bundle: Path) -> Message:
    """How to make an interpreter with the bundle's versions (a hint: nothing is run); the
    lockfile's own gemeingut line left out: the snapshot brings it, no index serves it. A
    PyTorch build pinned with its local version (`torch==2.13.0+cpu`) is served by PyTorch's
    own index, not PyPI's: that index is added where the lockfile pins one."""
    lock = bundle / TRAINING_CODE / LOCKFILE
    indexes = pytorch_indexes(lock.read_text("utf-8", errors="replace") if lock.is_file() else "")
    return _(
        "make an environment with the versions the release was built with: "
        "python -m venv DIR && grep -v '^{own}==' {lock} | {pip} -r /dev/stdin, "
        "then reproduce with --python DIR/bin/python",
        own=OWN,
        lock=str(lock),
        pip=" ".join(["DIR/bin/pip install", *(f"--extra-index-url {url}" for url in indexes)]),
    )


def pytorch_indexes(lock: str) -> list[str]:
    """PyTorch's index for each build the lockfile pins by its local version (`+cpu`,
    `+cu121`, `+rocm6.2`, `+xpu`): PyPI serves none of them."""
    labels = {
        pinned.group(2).partition("+")[2]
        for pinned in map(LOCK_LINE.fullmatch, map(str.strip, lock.splitlines()))
        if pinned is not None
    }
    return [
        f"{PYTORCH_INDEX}/{label}" for label in sorted(labels) if PYTORCH_BUILD.fullmatch(label)
    ]


def said(environment: Environment, bundle: Path, asked: bool) -> list[Message]:
    """The comparison in lines, said before the rebuild starts; `asked`: --python was given
    (else, where versions differ, how to make an interpreter with the bundle's)."""
    lock = f"{TRAINING_CODE}/{LOCKFILE}"
    if not environment.compared:
        return [
            _(
                "the bundle holds no {lock} (an older release): the libraries of this rebuild "
                "could not be compared with those it was built with",
                lock=lock,
            )
        ]
    lines = [
        _(
            "{lock} line {number} is not name==version and was not compared: {line}",
            lock=lock,
            number=str(number),
            line=line,
        )
        for number, line in environment.malformed
    ]
    if not environment.differs:
        return [
            *lines,
            _(
                "libraries of {python}: no differences from {lock} (Python {version}, "
                "{count} distributions)",
                python=environment.python,
                lock=lock,
                version=environment.python_installed,
                count=str(environment.locked),
            ),
        ]
    lines.append(
        _(
            "libraries of {python} that differ from {lock} (the bundle's version ≠ this one's); "
            "a rebuild with them may not come out equal:",
            python=environment.python,
            lock=lock,
        )
    )
    if environment.python_differs:
        lines.append(
            _(
                "  Python {locked} ≠ {used}",
                locked=environment.python_locked,
                used=environment.python_installed,
            )
        )
    for d in environment.differing:
        if d.shaping:
            lines.append(
                _("  {name} {locked} ≠ {used}", name=d.name, locked=d.locked, used=d.installed)
                if d.installed is not None
                else _("  {name} {locked} ≠ not installed", name=d.name, locked=d.locked)
            )
    others = sum(not d.shaping for d in environment.differing)
    if others:
        lines.append(
            plural(
                others,
                _("  and 1 other distribution (not one that shapes the numbers)"),
                _(
                    "  and {count} other distributions (none that shapes the numbers)",
                    count=str(others),
                ),
            )
        )
    if not asked:
        lines.append(make_environment(bundle))
    return lines


def likely_cause(environment: Environment) -> Message | None:
    """Where artifacts differ: the differing libraries as a likely cause (None: none differ)."""
    if not environment.differs:
        return None
    named = [f"Python {environment.python_locked}"] if environment.python_differs else []
    named += [d.name for d in environment.differing if d.shaping]
    others = sum(not d.shaping for d in environment.differing)
    counted = plural(
        others,
        _("1 other distribution"),
        _("{count} other distributions", count=str(others)),
    )
    return _(
        "a likely cause: the rebuild ran with other versions of {names} than the release was "
        "built with",
        names=_("{names} and {counted}", names=", ".join(named), counted=counted)
        if named and others
        else ", ".join(named) or counted,
    )
