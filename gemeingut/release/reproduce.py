"""`gemeingut reproduce BUNDLE --workspace DIR`: rebuild a release from its bundle alone and
compare, artifact by artifact, what comes out with what the bundle's lineage records.

The bundle holds the curated shards, not the sources they were curated from, so the rebuild
starts from the dataset artifact put together again from `training-data/` and `test-data/`
(every file checked against the lineage's hashes). It runs the bundle's own code snapshot
(`training-code/`, copied to DIR and put first on the import path) on its own recipe, with the
fine-tuning data and paper from the bundle placed where the recipe names them. Then each
artifact of the lineage must reappear with the same id and the same files; the only
differences allowed are the declared fields of time and machine (`VARYING`).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, text
from gemeingut.json_records import record_lines
from gemeingut.library_bars import ENVIRONMENT
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.release.finetune_record import without_revision
from gemeingut.release.layout import (
    BUNDLE_DIR,
    EARLIER_ROLE,
    FINETUNE_EARLIER,
    TEST_DATA,
    TRAINING_CODE,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_finetunes,
    locate_bundle,
)
from gemeingut.release.manifest import read_manifest
from gemeingut.release.openness.weights_licence_text import WEIGHTS_LICENCE_FILE
from gemeingut.release.reproduce_environment import (
    Environment,
    compare,
    interpreter,
    said,
    starts,
)
from gemeingut.stage_names import stage_name, stage_named
from gemeingut.workspace import ARTIFACT_FILE

# Keys of JSON records that say when, how fast or on what a run happened (or where on the
# machine: a model folder, an adapter's base folder): with the resume checkpoints, the
# declared list of what may differ between a build and its reproduction.
VARYING = re.compile(
    r"seconds|tokens_per_s|mfu|energy|kwh|co2|throughput|created|environment|time|peak"
    r"|^path$|^command$|^checkpoints$|^base_model_name_or_path$",
    re.IGNORECASE,
)
# The same quantities as a German document's table labels them ("| Energie | …").
VARYING_GERMAN = re.compile(r"energie|sekunden|zeit|dauer|durchsatz", re.IGNORECASE)
COMPARABLE = (".json", ".jsonl", ".md")  # compared apart from VARYING, not byte for byte
# Run records the bundle carries a copy of: (lineage role, artifact file) → bundle path.
BUNDLE_COPIES = {
    ("model", "training.json"): f"{TRAINING_METADATA}/training.json",
    ("model", "training_log.jsonl"): f"{TRAINING_METADATA}/training_log.jsonl",
    ("finetune", "finetune.json"): f"{TRAINING_METADATA}/finetune.json",
    # a LoRA adapter names its base's folder on the machine that made it; the bundle's copy
    # names the published base instead, and the two are compared apart from that name
    ("finetune", "adapter_config.json"): "model/adapter_config.json",
    ("finetune", "training_log.jsonl"): f"{TRAINING_METADATA}/finetune_log.jsonl",
    ("evaluation", "results.json"): f"{TRAINING_METADATA}/evaluation.json",
    ("audit", "report.json"): "audit/report.json",
    ("audit", "report.de.md"): "audit/report.de.md",
    ("audit", "report.en.md"): "audit/report.en.md",
    ("audit", "redteam.garak.report.jsonl"): "audit/redteam.garak.report.jsonl",
}
# An audit's lineage inputs that are files the auditor gave, by the recipe setting or option
# that gave them: the bundle does not hold them, so such an audit cannot run again from it.
OWN_AUDIT_FILES = {
    "tasks_suite": "tasks.suite",
    "bias_suite": "bias.suite",
    "redteam_suite": "redteam.suite",
    "canaries": "memorisation.canaries",
    "findings": "findings",
    "training": "--training-data",
}
CHECKPOINT_DIR = "checkpoints"  # resume state: optimizer, RNG and the wall time so far
TEXTS = (*COMPARABLE, ".txt", ".jinja", ".yaml", ".yml", ".toml", ".ttl")  # shown line by line
HEARTBEAT_S = 60.0  # a rebuild silent this long (a training stage) says it is still running
# The stages of `gemeingut build` in the order it runs them, by the names its lines give them.
BUILD_STAGES = (
    "dataset",
    "publication",
    "tokenizer",
    "model",
    "finetune",
    "evaluation",
    "audit",
    "gguf",
    "release",
)
_STAGE_ENDED = re.compile(r"\s*✓\s+(\S+)\s")  # `✓ Modell     gebaut  …` (build.py's `step`)


@dataclass
class Comparison:
    role: str
    kind: str
    recorded_id: str
    rebuilt_id: str | None
    differing: list[str] = field(default_factory=list)  # files that differ beyond VARYING
    # file -> where it differs (JSON keys `path recorded ≠ rebuilt`, or the first line), for the
    # files of which both versions are at hand
    details: dict[str, list[str]] = field(default_factory=dict)
    # False for the release of a bundle copied alone: its id lies in the release's record
    # beside the bundle, not in it (its folder's name stands in), so its files decide
    id_recorded: bool = True

    @property
    def shown(self) -> str:
        """The role as `gemeingut build` names its stage, in the reader's language (an earlier
        fine-tune of a chain by its role)."""
        return stage_name(self.role)

    @property
    def equal(self) -> bool:
        same = self.rebuilt_id == self.recorded_id or not self.id_recorded
        return same and self.rebuilt_id is not None and not self.differing


class Reproduction(list[Comparison]):
    """The comparisons, artifact by artifact, and the libraries the rebuild ran with."""

    def __init__(self, comparisons: list[Comparison], environment: Environment) -> None:
        super().__init__(comparisons)
        self.environment = environment


def reproduce(
    bundle_path: Path,
    root: Path,
    base: Path | None = None,
    public_key: Path | None = None,
    python: Path | None = None,
) -> Reproduction:
    """Rebuild and compare; a fine-tune of a foreign base needs `base`, the folder with its
    weights (`reproduce_finetune.py`); a fine-tune of a fine-tune is rebuilt link by link
    (`reproduce_chain.py`). With `public_key`, the signature is checked against it first;
    with `python`, that interpreter runs the bundle's code (else this one). Its libraries are
    compared with the bundle's lockfile before the rebuild starts."""
    from gemeingut.release.verify import verify_bundle

    installed = interpreter(python)  # a wrong path refused before the bundle is even read
    _say(_("checking the bundle before rebuilding it …"))
    bundle = verify_bundle(locate_bundle(bundle_path), public_key).bundle  # never a tampered one
    # The bundle's code runs in `root`, where relative paths would no longer hold.
    bundle, root = bundle.resolve(), root.resolve()
    if root.is_relative_to(bundle):
        raise InputError(
            _("{path} lies inside the bundle {bundle}", path=str(root), bundle=str(bundle)),
            _("reproduce into a folder outside the bundle: the bundle must stay as released"),
        )
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InputError(
            _("{path} is not empty", path=str(root)),
            _("reproduce into a new folder: artifacts already there would be reused, not rebuilt"),
        )
    environment = compare(bundle, installed)
    starts(installed, bundle / TRAINING_CODE, bundle)  # only now: the bundle's code is intact
    for line in said(environment, bundle, asked=python is not None):
        _say(line)
    return Reproduction(_rebuilt(bundle, root, base, installed.python), environment)


def _rebuilt(bundle: Path, root: Path, base: Path | None, python: str) -> list[Comparison]:
    """The rebuild of a verified bundle into `root` by the interpreter `python`, compared
    artifact by artifact."""
    from gemeingut.release.openness.finetune_rating import BASE_DIR
    from gemeingut.release.reproduce_chain import reproduce_chain
    from gemeingut.release.reproduce_finetune import reproduce_finetune

    lineage = json.loads((bundle / TRAINING_METADATA / "lineage.json").read_text("utf-8"))
    if (bundle / BASE_DIR).is_dir() and "dataset" not in lineage:  # a chain on it too
        return reproduce_finetune(bundle, lineage, root, base, python)
    if earlier_finetunes(lineage):  # released by `release --finetuned`, not by the recipe
        return reproduce_chain(bundle, lineage, root, python)
    recipe = _stage_recipe(bundle, root / "recipe")
    code = root / "code"
    if not code.exists():
        shutil.copytree(bundle / TRAINING_CODE, code)
    dataset = dataset_artifact(bundle, lineage["dataset"], root / "workspace")
    command = ["-m", "gemeingut.cli", "build", str(recipe), "--workspace", str(root / "workspace")]
    _say(_("rebuilding with the bundle's own code in {folder}; each stage is named as it starts "
           "and as it ends:", folder=str(root)))  # fmt: skip
    stages = Stages([kind for kind in BUILD_STAGES if kind in lineage or kind == "release"])
    stages.start()  # the first one starts with the rebuild
    rebuilt = run_own_code(
        [*command, "--dataset", str(dataset), "--json"], code, root, stages, python
    )
    _say(_("comparing artifact by artifact …"))
    reused = [kind for kind, entry in rebuilt.items() if entry.get("reused") and kind != "dataset"]
    if reused:  # a fresh folder holds only the dataset: anything else reused was not rebuilt
        raise InputError(
            _("the rebuild reused {kinds} instead of building them", kinds=", ".join(reused)),
            _("use a new folder"),
        )
    results = [
        compare_artifact(
            role, {**meta, "_role": role, "_bundle": bundle}, root / "workspace", rebuilt
        )
        for role, meta in lineage.items()
    ]
    return [*results, compare_bundles(bundle, Path(rebuilt["release"]["path"]) / BUNDLE_DIR)]


class Stages:
    """The rebuild's lines passed on (indented), and after each line saying that a stage
    ended (`✓ KIND …`, as `gemeingut build` prints it) the stage that starts now, with its
    number and the time so far: a stage can run for minutes without a line."""

    def __init__(self, stages: list[str], labels: dict[int, str] | None = None) -> None:
        self.stages = stages
        self.labels = labels or {}  # by position, where a stage's name is not enough
        self.started = time.monotonic()
        self.next = 0

    def __call__(self, line: str) -> None:
        _say(line, indent="    ")
        ended = _STAGE_ENDED.match(line)
        kind = stage_named(ended.group(1)) if ended else None
        if kind in self.stages[self.next - 1 :]:  # a kind may recur (a chain's fine-tunes)
            self.next = self.stages.index(kind, max(self.next - 1, 0)) + 1
            if self.next < len(self.stages):
                self.start()

    def start(self) -> None:
        """Say that the next stage starts."""
        self.next += 1
        _say(
            _(
                "▸ stage {number} of {total}: {stage} starts ({seconds} s so far) …",
                number=str(self.next),
                total=str(len(self.stages)),
                stage=self.labels.get(self.next - 1) or stage_name(self.stages[self.next - 1]),
                seconds=str(round(time.monotonic() - self.started)),
            ),
            indent="  ",
        )


def run_own_code(
    arguments: list[str],
    code: Path,
    cwd: Path,
    on_line: Callable[[str], None] | None = None,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`python ARGUMENTS` (`reproduce --python`, else this interpreter) with the bundle's
    code snapshot first on the import path, and `env` besides; its JSON answer on stdout. What
    it says on stderr (a line per finished stage) is passed on to `on_line` as it comes (by
    default shown indented), and where it is silent for a while, how long it has run: a
    rebuild takes as long as the build did."""
    show = on_line or (lambda line: _say(line, indent="    "))
    tail: deque[str] = deque(maxlen=40)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as answer:
        child = subprocess.Popen(
            [python, *arguments],
            cwd=cwd,
            env={**own_code_environment(code), **(env or {})},
            stdout=answer,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        for line in _lines_with_heartbeat(child, time.monotonic()):
            if isinstance(line, str):
                tail.append(line)
            show(text(line))
        returncode = child.wait()
        answer.seek(0)
        stdout = answer.read()
    if returncode != 0:
        raise InputError(
            _(
                "the rebuild with the bundle's own code failed: {output}",
                output="\n".join(tail).strip()[-800:],
            ),
            _("run the same command by hand in the workspace to see all of it"),
        )
    return json.loads(stdout)


def own_code_environment(code: Path) -> dict[str, str]:
    """The environment the bundle's code runs in: its snapshot `code` first on the path."""
    return {
        **os.environ,
        "PYTHONPATH": str(code),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COLUMNS": "400",  # its stage lines are passed on whole, not wrapped at 80 columns
        # the libraries' progress bars (lm-eval, datasets, the Hub): redrawn lines that,
        # passed on one by one, would bury the stage lines (the bundle's code may be older)
        **ENVIRONMENT,
    }


def _lines_with_heartbeat(child: subprocess.Popen, started: float):
    """The child's stderr line by line as it writes them; after `HEARTBEAT_S` of silence, a
    message saying how long the rebuild has run."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in child.stderr:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n").rsplit("\r", 1)[-1])  # a progress bar: its last state
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=HEARTBEAT_S)
        except queue.Empty:
            minutes = int((time.monotonic() - started) // 60)
            yield _("… still rebuilding ({minutes} min so far)", minutes=str(minutes))
            continue
        if line is None:
            return
        if line.strip():
            yield line


def _say(message: str | Message, indent: str = "") -> None:
    """A line of progress on stderr, as the build's own stage lines are."""
    from rich.markup import escape

    from gemeingut.progress import console

    console.print(indent + escape(text(message)), highlight=False, soft_wrap=True)


def compare_bundles(bundle: Path, again: Path) -> Comparison:
    """The release itself: every file of the two bundles, records compared apart from VARYING
    and texts apart from the machine's model folder."""
    recorded, rebuilt = read_manifest(bundle), read_manifest(again)
    paths = _model_paths(bundle, again / "audit")
    differing = [
        rel
        for rel in sorted(set(recorded) | set(rebuilt))
        if recorded.get(rel) != rebuilt.get(rel)
        and not (
            rel in recorded
            and rel in rebuilt
            and rel.endswith(COMPARABLE)
            and _records(bundle / rel, paths) == _records(again / rel, paths)
        )
    ]
    details = {
        rel: found
        for rel in differing
        if rel in recorded and rel in rebuilt
        if (found := where_differs(rel, bundle / rel, again / rel, paths, apart=True))
    }
    own = bundle.parent / ARTIFACT_FILE
    recorded_id = json.loads(own.read_text("utf-8"))["id"] if own.is_file() else bundle.name
    rebuilt_id = json.loads((again.parent / ARTIFACT_FILE).read_text("utf-8"))["id"]
    return Comparison(
        "release", "release", recorded_id, rebuilt_id, differing, details, own.is_file()
    )


def where_differs(
    rel: str, recorded: Path, rebuilt: Path, paths: list[str], apart: bool
) -> list[str]:
    """Where a text file's rebuilt version differs from the recorded one: JSON keys as
    `path recorded ≠ rebuilt`, else the first line (`apart`: the VARYING keys and rows set
    aside, as the comparison sets them aside). Nothing for other files."""
    from gemeingut.release.differences import differences, json_differences

    if not rel.endswith(TEXTS) or not recorded.is_file() or not rebuilt.is_file():
        return []
    try:
        if apart and rel.endswith((".json", ".jsonl")):
            return json_differences(_records(recorded, paths), _records(rebuilt, paths))
        first, second = (path.read_text(encoding="utf-8") for path in (recorded, rebuilt))
        for folder in paths:
            first, second = (t.replace(folder, "<model folder>") for t in (first, second))
        if apart and rel.endswith(".md"):  # the rows about VARYING quantities left out
            first, second = ("\n".join(_kept_lines(t)) for t in (first, second))
        return [text(found) for found in differences(rel, first, second)]
    except (UnicodeDecodeError, ValueError):  # not text, or not the JSON its name says
        return []


def _stage_recipe(bundle: Path, folder: Path) -> Path:
    """The bundle's recipe, with the fine-tuning data, the paper and the licence text put where
    it names them."""
    source = bundle / TRAINING_CODE / "recipe.toml"
    if not source.is_file():
        raise InputError(
            _(
                "{bundle} was released without a recipe (training-code/recipe.toml)",
                bundle=str(bundle),
            ),
            _("only a release made by `gemeingut build RECIPE` can be rebuilt"),
        )
    recipe = tomllib.loads(source.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "recipe.toml"
    shutil.copy2(source, target)
    audit = recipe.get("audit") or {}
    own = [
        setting
        for setting in OWN_AUDIT_FILES.values()
        if not setting.startswith("--") and _recipe_setting(audit, setting)  # options: no key
    ]
    if own:
        raise InputError(
            _(
                "the audit used files of its own that the bundle does not hold: {settings}",
                settings=", ".join(own),
            ),
            _("rebuild with those files in place by `gemeingut build`"),
        )
    finetune = recipe.get("finetune") or {}
    if finetune.get("data"):
        _place(bundle / TRAINING_DATA / "finetuning", folder / finetune["data"])
    paper = (recipe.get("release") or {}).get("paper")
    if paper:
        _place(bundle / "paper", folder / paper)
    licence_text = (recipe.get("release") or {}).get("license_file")
    if licence_text:  # the releaser's text, shipped as it was given
        (folder / licence_text).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle / WEIGHTS_LICENCE_FILE, folder / licence_text)
    return target


def _recipe_setting(section: dict[str, Any], dotted: str) -> Any:
    """The value of e.g. `bias.suite` in a recipe section (None where it is not set)."""
    value: Any = section
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _place(copied: Path, wanted: Path) -> None:
    """A file or folder of the bundle at the path the recipe names (a lone file as itself)."""
    items = [p for p in copied.iterdir()] if copied.is_dir() else []
    wanted.parent.mkdir(parents=True, exist_ok=True)
    if len(items) == 1 and items[0].is_file() and not wanted.exists():
        shutil.copy2(items[0], wanted)
    elif not wanted.exists():
        shutil.copytree(copied, wanted)


def dataset_artifact(bundle: Path, meta: dict[str, Any], workspace: Path) -> Path:
    """The curated dataset again, from the bundle's shards, each file checked against the
    hash the lineage records for it."""
    folder = workspace / "dataset" / meta["id"]
    folder.mkdir(parents=True, exist_ok=True)
    for rel, digest in meta["files"].items():
        name = Path(rel).name
        if rel.startswith("shards/"):
            source = bundle / (TEST_DATA if name.startswith("test-") else TRAINING_DATA) / name
        elif rel == "exclusions.parquet":
            source = bundle / TRAINING_DATA / "excluded" / name
        else:
            source = bundle / TRAINING_DATA / rel
        if not source.is_file() or "sha256:" + sha256_file(source) != digest:
            raise InputError(
                _(
                    "the bundle's copy of the dataset's {file} is missing or not the one its "
                    "lineage records",
                    file=rel,
                ),
                _("this bundle cannot be rebuilt; obtain an unmodified copy"),
            )
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, folder / rel)
    (folder / ARTIFACT_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return folder


def compare_artifact(role: str, meta: dict[str, Any], workspace: Path, rebuilt: dict) -> Comparison:
    """An artifact of the lineage against its rebuild; one rebuilt under another id is still
    compared file by file, to name what changed (a fine-tune's data: its `data/` files)."""
    kind, recorded = meta["kind"], meta["id"]
    again, rebuilt_id = workspace / kind / recorded, recorded
    if not (again / ARTIFACT_FILE).is_file():
        rebuilt_id = (rebuilt.get(role) or rebuilt.get(kind) or {}).get("id")
        again = workspace / kind / str(rebuilt_id)
        if rebuilt_id is None or not (again / ARTIFACT_FILE).is_file():
            return Comparison(role, kind, recorded, rebuilt_id)
    files = json.loads((again / ARTIFACT_FILE).read_text("utf-8")).get("files", {})
    differing = [
        rel
        for rel in sorted(set(meta["files"]) | set(files))
        if meta["files"].get(rel) != files.get(rel)
        and not _same_apart_from_varying(rel, again, meta, files)
    ]
    details = {
        rel: found
        for rel in differing
        if rel in meta["files"] and rel in files
        # where the recorded bytes are not at hand (a changed data file): the two hashes
        if (
            found := _artifact_file_differs(rel, again, meta)
            or _hashes(meta["files"][rel], files[rel])
        )
    }
    return Comparison(role, kind, recorded, rebuilt_id, differing, details)


def _hashes(recorded: str, rebuilt: str) -> list[str]:
    """A file's recorded and rebuilt sha256, shortened as a person compares them."""
    short = [str(digest).removeprefix("sha256:")[:12] for digest in (recorded, rebuilt)]
    return [f"sha256 {short[0]} ≠ {short[1]}"]


def _artifact_file_differs(rel: str, again: Path, meta: dict[str, Any]) -> list[str]:
    """Where a rebuilt artifact's file differs from the recorded one, where the bundle holds
    the recorded bytes: its copy of a run record, or a file of the same name and hash (the
    released model's tokenizer files, the dataset's shards)."""
    bundle: Path = meta["_bundle"]
    paths = _model_paths(bundle, again)
    copy = bundle_copy(meta["_role"], rel, meta["id"])
    if copy is not None and (bundle / copy).is_file():
        return where_differs(rel, bundle / copy, again / rel, paths, apart=True)
    digest = str(meta["files"][rel]).removeprefix("sha256:")
    name = Path(rel).name
    held = [
        path for path, listed in read_manifest(bundle).items()
        if listed == digest and Path(path).name == name
    ]  # fmt: skip
    if not held:
        return []
    return where_differs(rel, bundle / held[0], again / rel, paths, apart=False)


def bundle_copy(role: str, rel: str, artifact_id: str) -> str | None:
    """The bundle path of its copy of an artifact's run record `rel` (None: it holds none);
    an earlier fine-tune's records lie in its own folder, named as the released one's."""
    if not role.startswith(f"{EARLIER_ROLE}_"):
        return BUNDLE_COPIES.get((role, rel))
    copy = BUNDLE_COPIES.get(("finetune", rel))
    if copy is None or not copy.startswith(f"{TRAINING_METADATA}/"):
        return None
    return f"{TRAINING_METADATA}/{FINETUNE_EARLIER}/{artifact_id}/" + copy.split("/", 1)[1]


def _same_apart_from_varying(rel: str, again: Path, meta: dict, files: dict) -> bool:
    """Resume state holds wall time (declared: it may differ); a run record differs only in
    the VARYING keys from the copy the bundle carries of it."""
    if rel.startswith(f"{CHECKPOINT_DIR}/") and rel in files:
        return True
    copy = bundle_copy(meta["_role"], rel, meta["id"])
    if copy is None or rel not in files or not (meta["_bundle"] / copy).is_file():
        return False
    paths = _model_paths(meta["_bundle"], again)
    published = _records(meta["_bundle"] / copy, paths)
    if rel == FINETUNE_FILE:  # the base named as published: its path (VARYING), its revision
        published = without_revision(published)  # compared with the rebuilt bundle's
    return _records(again / rel, paths) == published


def _model_paths(bundle: Path, again: Path) -> list[str]:
    """The folder of the audited model in the build and in the rebuild: written into the
    audit's texts (the lm-eval command), a fact of the machine, not of the model."""
    found = []
    for report in (bundle / "audit" / "report.json", again / "report.json"):
        if report.is_file():
            path = json.loads(report.read_text(encoding="utf-8")).get("model", {}).get("path")
            found += [path] if path else []
    return sorted(found, key=len, reverse=True)


def _records(path: Path, paths: list[str]) -> Any:
    text = path.read_text(encoding="utf-8")
    for folder in paths:
        text = text.replace(folder, "<model folder>")
    if path.suffix == ".md":  # a table row about a VARYING quantity, e.g. "| energy | …"
        return [line for line in text.splitlines() if not _varying_row(line)]
    if path.name == "lineage.json":
        return _lineage_records(json.loads(text))
    if path.suffix == ".jsonl":
        return [strip_varying(json.loads(line)) for line in record_lines(text) if line.strip()]
    from gemeingut.release.finetune_chain import own_record  # a chain's released record

    return strip_varying(own_record(json.loads(text)))


def _kept_lines(document: str) -> list[str]:
    """A document's lines, a VARYING row blank (so that the line numbers stay the file's)."""
    return ["" if _varying_row(line) else line for line in document.splitlines()]


def _varying_row(line: str) -> bool:
    cells = line.split("|")
    label = cells[1].strip() if len(cells) > 2 else ""
    return line.startswith("|") and bool(VARYING.search(label) or VARYING_GERMAN.search(label))


def _lineage_records(lineage: dict[str, Any]) -> Any:
    """Each artifact's record, apart from VARYING and from the hashes of its run records and
    resume checkpoints (those files are compared apart from VARYING on their own)."""
    kept = {}
    for role, meta in lineage.items():
        files = {
            rel: digest
            for rel, digest in (meta.get("files") or {}).items()
            if not rel.startswith(f"{CHECKPOINT_DIR}/")
            and bundle_copy(role, rel, meta["id"]) is None
        }
        kept[role] = strip_varying({**meta, "files": files})
    return kept


def strip_varying(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_varying(v) for k, v in value.items() if not VARYING.search(k)}
    if isinstance(value, list):
        return [strip_varying(v) for v in value]
    return value
