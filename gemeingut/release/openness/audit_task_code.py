"""The lm-eval task files a gemeingut audit ran, found beside its report in a foreign model's
folder: evaluation code (the MOF's "Code used for evaluating the model"), since
`lm_eval --include_path tasks` runs them again.

They count only as the audit left them: the report's recorded lm_eval command names the folder
it read the tasks from (`--include_path`), each task the report has results for has its YAML
there (naming that task) and the module its YAML loads its documents with
(`class: !function MODULE.Class`), and the audit's record of its files (`artifact.json`, kind
`audit`) holds the report and each of these files with the sha256 they have now. A task file
edited after the audit, or missing, and the report's tasks are no evidence; nor is any file
only because of its name or folder. A release bundle keeps the audit's record in its lineage
instead (`bundle_task_code.py`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, quoted, recorded
from gemeingut.release.openness.file_content import noted
from gemeingut.release.openness.mof import Found
from gemeingut.release.openness.sentences import joined
from gemeingut.workspace import ARTIFACT_FILE

INCLUDE_OPTION = "--include_path"  # lm_eval's option for a folder of task YAMLs
FUNCTION_TAG = "!function"  # lm-eval's YAML tag for a callable from a module beside the YAML


@dataclass(frozen=True)
class TaskCode:
    """The task files that count (relative to the rated folder), and what each report's
    files are or why they do not count."""

    paths: list[str]
    said: list[Message]


# The audit's record of its files (path in the audit → "sha256:…") for the report at a path,
# or why there is none to check against.
Records = Callable[[PurePosixPath], tuple[dict[str, str] | None, list[Message]]]


def task_code(folder: Path, listing: list[str], reports: dict[str, dict[str, Any]]) -> TaskCode:
    """The lm-eval task files of the audit `reports` (by path, as `judged_audits` found them)
    among the folder's files (`listing`), each audit's record its `artifact.json`."""
    listed = set(listing)
    return recorded_task_code(folder, listed, reports, partial(_folder_record, folder, listed))


def with_said(part: Found, code: TaskCode, why_not: list[Message | str]) -> Found:
    """Evaluation code `part`, whose paths hold the task files that count, with what `code`
    says of each audit's: before the licence's verdict where it is present, else with why
    not, the caller's own files' reason (`why_not`) after it; a folder and a bundle alike."""
    if not code.said:
        return part
    if part.present:
        return noted(part, joined(code.said))
    return replace(part, detail=recorded(joined([*code.said, *why_not])))


def recorded_task_code(
    folder: Path, listed: set[str], reports: dict[str, dict[str, Any]], records: Records
) -> TaskCode:
    """The task files of `reports` that are as the audit recorded them (`records`: its record
    for a report's path: a folder's `artifact.json`, a bundle's lineage)."""
    paths: list[str] = []
    said: list[Message] = []
    for rel, report in sorted(reports.items()):
        tasks = _scored_tasks(report)
        if not tasks:
            continue  # no task suite ran: no evaluation code to look for
        record, problems = records(PurePosixPath(rel))
        files: list[str] = []
        if record is not None:
            files, problems = _report_task_files(folder, listed, PurePosixPath(rel), report, record)
        if problems:
            said.extend(problems)
            continue
        paths.extend(files)
        folder_said = sorted({str(PurePosixPath(f).parent) for f in files})
        said.append(
            _(
                "{folder}: the lm-eval task files that {report} ran ({tasks}), with the sha256 "
                "the audit recorded",
                folder=", ".join(folder_said),
                report=rel,
                tasks=quoted(tasks),
            )
        )
    return TaskCode(sorted(set(paths)), said)


def _scored_tasks(report: dict[str, Any]) -> list[str]:
    """The tasks the report holds results for."""
    suite = report.get("tasks")
    named = suite.get("tasks") if isinstance(suite, dict) else None
    return sorted(named) if isinstance(named, dict) else []


def _folder_record(
    folder: Path, listed: set[str], rel: PurePosixPath
) -> tuple[dict[str, str] | None, list[Message]]:
    """The record beside a folder's report (`artifact.json`), where the report is the one it
    records."""
    record_rel = str(rel.parent / ARTIFACT_FILE)
    record = _recorded_files(folder / record_rel)
    if record is None:
        return None, [no_record(rel, record_rel)]
    if not _as_recorded(folder, listed, str(rel), record.get(rel.name)):
        return None, [_("{report}: not the report the audit recorded", report=str(rel))]
    return record, []


def no_record(rel: PurePosixPath, record: str) -> Message:
    return _(
        "{report}: no record of the audit's files ({record}) to check its lm-eval task "
        "files against",
        report=str(rel),
        record=record,
    )


def _report_task_files(
    folder: Path,
    listed: set[str],
    rel: PurePosixPath,
    report: dict[str, Any],
    record: dict[str, str],
) -> tuple[list[str], list[Message]]:
    """The task files of one report, or why they do not count."""
    audit = rel.parent
    include = _include_path(report)
    if include is None:
        said = _(
            "{report}: its lm_eval command names no task folder inside the audit ({option})",
            report=str(rel),
            option=INCLUDE_OPTION,
        )
        return [], [said]
    files: list[str] = []
    problems: list[Message] = []
    for task in _scored_tasks(report):
        tasks = folder / audit / include
        for name in _task_files(tasks, task) if _plain(f"{task}.yaml") else [f"{task}.yaml"]:
            if not _plain(name):
                problems.append(_outside(str(rel), name, task))
                continue
            shown = str(audit / include / name)
            if not _as_recorded(folder, listed, shown, record.get(str(include / name))):
                problems.append(_not_as_recorded(shown, shown in listed, task))
            files.append(shown)
    return sorted(set(files)), problems


def _task_files(tasks: Path, task: str) -> list[str]:
    """A task's YAML and, where the YAML is that task's, the module it loads its documents
    with (`class: !function MODULE.Class`, a file beside it as lm-eval imports it)."""
    name = f"{task}.yaml"
    config = _task_yaml(tasks / name)
    if config is None or config.get("task") != task or "class" not in config:
        return [name]  # said by its hash: the audit wrote the task's YAML with its class
    return [name, f"{str(config['class']).rsplit('.', 1)[0]}.py"]


def _plain(name: str) -> bool:
    """Whether `name` is a file's name alone: names read from the report and its YAML are
    joined to the audit's folder, where `../` or an absolute path would reach outside it."""
    return name not in ("", ".", "..") and PurePosixPath(name).name == name and "\\" not in name


def _outside(report: str, name: str, task: str) -> Message:
    return _(
        "{report}: {name}, a file of task {task}, is not a name inside the task folder",
        report=report,
        name=quoted([name]),
        task=task,
    )


def _not_as_recorded(path: str, present: bool, task: str) -> Message:
    if not present:
        return _("{path}: missing, though the audit ran task {task} with it", path=path, task=task)
    return _(
        "{path}: not the file the audit ran task {task} with (its sha256 differs from the "
        "audit's record)",
        path=path,
        task=task,
    )


def _recorded_files(path: Path) -> dict[str, str] | None:
    """An audit's record of its files (path in the audit → "sha256:…"); None where there is
    none."""
    try:
        record = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("kind") != "audit":
        return None
    files = record.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else None


def _as_recorded(folder: Path, listed: set[str], rel: str, recorded_hash: str | None) -> bool:
    """Whether the folder's file `rel` has the hash the audit recorded for it."""
    return (
        recorded_hash is not None
        and rel in listed
        and recorded_hash == f"sha256:{sha256_file(folder / rel)}"
    )


def _include_path(report: dict[str, Any]) -> PurePosixPath | None:
    """The task folder the recorded lm_eval command reads (it runs in the audit's folder);
    None where it names none, or one outside the audit's folder."""
    suite = report.get("tasks")
    run = suite.get("lm_eval") if isinstance(suite, dict) else None
    command = run.get("command") if isinstance(run, dict) else None
    try:
        words = shlex.split(command) if isinstance(command, str) else []
    except ValueError:
        return None
    given = [words[i + 1] for i, word in enumerate(words[:-1]) if word == INCLUDE_OPTION]
    if len(given) != 1:
        return None
    include = PurePosixPath(given[0])
    if include.is_absolute() or ".." in include.parts or not include.parts:
        return None
    return include


class _TaskLoader(yaml.SafeLoader):
    """PyYAML's safe loader that reads lm-eval's `!function` values as their names."""


_TaskLoader.add_constructor(FUNCTION_TAG, lambda loader, node: loader.construct_scalar(node))


def _task_yaml(path: Path) -> dict[str, Any] | None:
    try:
        config = yaml.load(path.read_bytes(), Loader=_TaskLoader)  # a safe loader
    except (OSError, yaml.YAMLError):
        return None
    return config if isinstance(config, dict) else None
