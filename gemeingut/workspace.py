"""Content-addressed artifacts with lineage, written atomically.

An artifact is a directory with an `artifact.json`. Its id hashes kind, input ids, parameters
and code version, so the same request always names the same directory: a finished artifact is
reused, an unfinished one (its `.partial` directory, named by id) is resumed by stages that can
(curation tasks, training checkpoints) and rebuilt by the others, never half-used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from gemeingut import __version__
from gemeingut.errors import InputError
from gemeingut.hashing import files_with_hashes, sha256_file, sha256_json
from gemeingut.i18n import _, quoted
from gemeingut.stage_names import artifact_name

ARTIFACT_FILE = "artifact.json"
_ID_PREFIX = {
    "publication": "pub",
    "dataset": "ds",
    "tokenizer": "tok",
    "model": "mdl",
    "adapter": "adp",
    "evaluation": "ev",
    "release": "rel",
    "audit": "aud",
}


@dataclass(frozen=True)
class Artifact:
    """A finished artifact on disk and its recorded metadata."""

    path: Path
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def stats(self) -> dict[str, Any]:
        return self.meta.get("stats", {})


def code_version() -> str:
    """gemeingut's version plus a hash of its own source, so any code change yields new ids."""
    return source_version(Path(__file__).resolve().parent, __version__)


def source_version(package: Path, version: str) -> str:
    """`code_version` of a copy of gemeingut's source (a bundle's training-code/ holds one).
    Python's bytecode beside it is left out unread (a third of the bytes of an installed
    package): it is not source, and each interpreter writes its own."""
    sources = {}
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if "__pycache__" not in rel and not rel.endswith(".pyc") and path.is_file():
            sources[rel] = "sha256:" + sha256_file(path)
    return f"gemeingut {version}+src.{sha256_json(sources)[:10]}"


def environment() -> dict[str, Any]:
    """What a rerun needs to know about the machine (thread count matters for bit-identity).

    torch is asked only if a stage has loaded it: importing it here would cost a data stage
    seconds and hundreds of MiB to report a thread count that it never used."""
    torch = sys.modules.get("torch")
    return {
        "python": platform.python_version(),
        "torch": torch.__version__ if torch else _installed_version("torch"),
        "torch_threads": torch.get_num_threads() if torch else None,
        "host": {
            "system": platform.system(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
    }


def _installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def artifact_id(kind: str, inputs: dict[str, str], params: dict[str, Any], code: str) -> str:
    digest = sha256_json({"kind": kind, "inputs": inputs, "params": params, "code": code})
    return f"{_ID_PREFIX.get(kind, kind)}-{digest[:16]}"


def load_artifact(path: Path, kind: str | tuple[str, ...] | None = None) -> Artifact:
    """Open a finished artifact, checking that it is one (and of the expected kind or kinds)."""
    meta_path = path / ARTIFACT_FILE
    if not path.exists():
        raise InputError(
            _("{path} does not exist", path=path),
            _("pass the directory that a gemeingut stage wrote, or run that stage first"),
        )
    if not meta_path.is_file():
        raise InputError(
            _("{path} is not a gemeingut artifact (no {file})", path=path, file=ARTIFACT_FILE),
            _("pass the directory that a gemeingut stage wrote, or run that stage first"),
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            _("{path} cannot be read: {error}", path=meta_path, error=exc), _DAMAGED
        ) from None
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str) for k in ("kind", "id")):
        raise InputError(
            _("{path} is not an artifact record (no kind and id)", path=meta_path), _DAMAGED
        )
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and meta.get("kind") not in kinds:
        raise InputError(
            _(
                "{path} is an artifact of the stage {kind}, expected: {expected}",
                path=path,
                kind=quoted([artifact_name(str(meta.get("kind")))]),
                expected=quoted([artifact_name(k) for k in kinds]),
            ),
            _(
                "pass the output directory of the stage {stage}",
                stage=artifact_name(kinds[0]),
            )
            if len(kinds) == 1
            else _(
                "pass the output directory of one of the stages {stages}",
                stages=quoted([artifact_name(k) for k in kinds]),
            ),
        )
    return Artifact(path=path, meta=meta)


_DAMAGED = _("the artifact is damaged: build it again, or remove the stray artifact.json")

Builder = Callable[[Path], dict[str, Any]]
"""Writes an artifact's files into the given (temporary) directory and returns its stats."""

Hashed = Callable[[Path], dict[str, str]]
"""Given the directory a `Builder` has just filled, the `sha256:<hex>` digests the build took
of files it wrote there, by their path relative to it, each taken after its last write."""


def materialize(
    target: Path,
    kind: str,
    inputs: dict[str, str],
    params: dict[str, Any],
    build: Builder,
    resumable: bool = False,
    hashed: Hashed | None = None,
) -> tuple[Artifact, bool]:
    """Build into `.<name>.<id>.partial` beside `target`, then rename; reuse a finished one.

    A resumable stage finds what an interrupted run of the *same id* left there (same inputs,
    parameters and code); partial work of any other id is discarded. Non-resumable stages start
    afresh. Returns the artifact and whether it was reused.

    `hashed`: digests the build took already (a release's MANIFEST), listed as they are instead
    of reading each file once more (a release holds the weights and every shard). Safe because
    they are digests of the files in this `.partial` directory, not of the sources they were
    copied from (those may have changed since their artifact recorded them): the build writes
    here and nothing else does, it hashed each file after its last write, and the directory is
    renamed as it is once the build returns. Files it did not hash are hashed here.
    """
    code = code_version()
    art_id = artifact_id(kind, inputs, params, code)
    if (target / ARTIFACT_FILE).is_file():
        existing = load_artifact(target)
        if existing.meta.get("id") == art_id:
            return existing, True
        raise InputError(
            _(
                "{path} already holds a different {kind} artifact ({id})",
                path=target,
                kind=existing.kind,
                id=existing.id,
            ),
            _("choose another output directory or delete the old one"),
        )
    if target.exists() and any(target.iterdir()):
        raise InputError(
            _("{path} exists and is not an artifact", path=target),
            _("choose an empty or new output directory"),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_dir(target, art_id)
    for stale in target.parent.glob(f".{target.name}.*.partial"):
        if stale != tmp or not resumable:
            shutil.rmtree(stale)
    tmp.mkdir(exist_ok=True)
    try:
        started = dt.datetime.now(dt.UTC)
        stats = build(tmp)
        meta = {
            "kind": kind,
            "id": art_id,
            "inputs": inputs,
            "params": params,
            "code": code,
            "created": started.isoformat(timespec="seconds"),
            "environment": environment(),
            "files": _digests(tmp, hashed(tmp) if hashed else {}),
            "stats": stats,
        }
        write_json_atomic(tmp / ARTIFACT_FILE, meta)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:  # a refusal, a bug, Ctrl-C: only work to resume stays behind
        if not resumable or not _holds_a_file(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Artifact(path=target, meta=meta), False


def _holds_a_file(folder: Path) -> bool:
    """Whether a build left anything in `folder` (empty folders are nothing to resume)."""
    return any(path.is_file() for path in folder.rglob("*"))


def _digests(root: Path, known: dict[str, str]) -> dict[str, str]:
    """Every file under `root` with its digest, `known` ones as given, in `files_with_hashes`'s
    order (so an artifact.json is written as before)."""
    absent = sorted(rel for rel in known if not (root / rel).is_file())
    if absent:  # a build that lists files it did not write is a bug here
        raise RuntimeError(f"digests given for files that {root} lacks: {absent[:5]}")
    found = files_with_hashes(root, exclude=frozenset(known)) | known
    return dict(sorted(found.items(), key=lambda item: item[0].split("/")))


def partial_dir(target: Path, art_id: str) -> Path:
    """Where an artifact is built before it is complete."""
    return target.parent / f".{target.name}.{art_id}.partial"


def write_json_atomic(path: Path, value: Any) -> None:
    """Write JSON under a temp name and rename, so readers never see half a file."""
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write text under a temp name and rename, so readers never see half a file. An error
    names `path`, the file asked for, not the temp file nobody asked for."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        with contextlib.suppress(OSError):  # where the write failed, removing it fails too
            tmp.unlink(missing_ok=True)


class Workspace:
    """A directory of artifacts laid out as `<root>/<kind>/<id>/`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def produce(
        self,
        kind: str,
        inputs: dict[str, str],
        params: dict[str, Any],
        build: Builder,
        resumable: bool = False,
        hashed: Hashed | None = None,
    ) -> tuple[Artifact, bool]:
        art_id = artifact_id(kind, inputs, params, code_version())
        target = self.root / kind / art_id
        return materialize(target, kind, inputs, params, build, resumable, hashed)


class Place(Protocol):
    """Where a stage puts its artifact: a workspace (by id) or one fixed directory."""

    def __call__(
        self,
        kind: str,
        inputs: dict[str, str],
        params: dict[str, Any],
        build: Builder,
        resumable: bool = False,
        hashed: Hashed | None = None,
    ) -> tuple[Artifact, bool]: ...


def at(target: Path) -> Place:
    """Place an artifact in exactly `target` (for stages run alone with `--out`)."""
    return functools.partial(materialize, target)
