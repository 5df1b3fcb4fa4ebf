"""Our German task suite as lm-evaluation-harness tasks, written out so that plain `lm_eval` runs
them too.

The items (`suites/tasks/*.jsonl`, CC0, written for gemeingut) are turned into lm-eval's shape:
one `query` and its `choices` with the index of the `gold` one for multiple choice, or a query
and its accepted `answers` for generation. Every task's data and YAML go into a folder, with the
task class that reads the data beside the YAMLs (`lm_eval_documents.py`), so `lm_eval
--include_path <audit>/tasks …` re-runs exactly what the audit ran from any working directory,
wherever the folder was moved or copied (no path of the writing machine is in it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gemeingut.audit.suites import read_items, shipped, unique_ids
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _, plural

TASK_FOLDER = "tasks"  # beside the audit's report: each task's items as lm-eval reads them
LOADER = "gemeingut_documents"  # the task class's module in that folder, as the YAMLs name it
# its source, copied there (read as a file: importing it would import `datasets`, and `verify`
# imports this module)
LOADER_SOURCE = Path(__file__).with_name("lm_eval_documents.py")

Item = dict[str, Any]
MC_KEYS: dict[str, type | tuple[type, ...]] = {"id": str, "choices": list, "answer": int}


@dataclass(frozen=True)
class TaskSpec:
    name: str
    file: str
    kind: str  # "multiple_choice" or "generate_until"
    what: dict[str, str]  # one line for the report, German and English
    required: dict[str, type | tuple[type, ...]]
    to_doc: Callable[[Item], Item]


def _choice_doc(query: str, item: Item) -> Item:
    choices = item["choices"]
    if not 0 <= item["answer"] < len(choices):
        raise InputError(
            _(
                "{where}: answer {answer} is not an index of its {count} choices",
                where=item["_where"],
                answer=str(item["answer"]),
                count=str(len(choices)),
            ),
            _("answer is the 0-based index of the correct choice"),
        )
    return {
        "id": item["id"],
        "query": query,
        "choices": [f" {c}" for c in choices],
        "gold": item["answer"],
    }


def _cloze_doc(item: Item) -> Item:
    """The sentence up to the gap is the context; each filler plus the rest is a choice, so
    the model judges the filler in the whole sentence."""
    sentence = item["sentence"]
    if sentence.count("___") != 1:
        raise InputError(
            _("{where}: the sentence needs exactly one gap `___`", where=item["_where"]),
            _("mark the gap with three underscores"),
        )
    before, after = sentence.split("___")
    doc = _choice_doc(before.rstrip(), item)
    doc["choices"] = [f"{' ' if before.rstrip() else ''}{c}{after}" for c in item["choices"]]
    return doc


TASKS = {
    spec.name: spec
    for spec in (
        TaskSpec(
            "gg_lesen",
            "lesen.jsonl",
            "multiple_choice",
            {
                "de": "Leseverstehen: Frage zu einem kurzen Text, vier Antworten",
                "en": "reading comprehension: a question on a short text, four answers",
            },
            {**MC_KEYS, "passage": str, "question": str},
            lambda i: _choice_doc(f"{i['passage']}\nFrage: {i['question']}\nAntwort:", i),
        ),
        TaskSpec(
            "gg_verwaltung",
            "verwaltung.jsonl",
            "multiple_choice",
            {
                "de": "Verwaltungssprache: Lücke in einem Satz im Amtsstil, vier Ergänzungen",
                "en": "administrative German: a gap in an official sentence, four fillers",
            },
            {**MC_KEYS, "sentence": str},
            _cloze_doc,
        ),
        TaskSpec(
            "gg_buergerkunde",
            "buergerkunde.jsonl",
            "multiple_choice",
            {
                "de": "Bürgerkunde: Frage zu Staat, Recht und Geschichte, vier Antworten",
                "en": "civic facts: state, law and history, four answers",
            },
            {**MC_KEYS, "question": str},
            lambda i: _choice_doc(f"Frage: {i['question']}\nAntwort:", i),
        ),
        TaskSpec(
            "gg_kurzantwort",
            "kurzantwort.jsonl",
            "generate_until",
            {
                "de": "Kurzantwort: ein Wort oder eine Zahl, exakter Vergleich",
                "en": "short answer: one word or number, exact match",
            },
            {"id": str, "question": str, "answers": list},
            lambda i: {
                "id": i["id"],
                "query": f"Frage: {i['question']}\nAntwort:",
                "answers": [str(a) for a in i["answers"]],
            },
        ),
    )
}
MAX_ANSWER_TOKENS = 16


def default_suite() -> Path:
    return shipped("tasks")


def task_names(requested: list[str] | None) -> list[str]:
    if not requested:
        return list(TASKS)
    unknown = [t for t in requested if t not in TASKS]
    if unknown:
        raise InputError(
            plural(
                len(unknown),
                _("unknown task {unknown}", unknown=", ".join(unknown)),
                _("unknown tasks {unknown}", unknown=", ".join(unknown)),
            ),
            _("choose from {choices}", choices=", ".join(TASKS)),
        )
    return requested


@dataclass(frozen=True)
class PreparedTask:
    name: str
    kind: str
    what: dict[str, str]
    items: list[Item]
    source: Path
    source_sha256: str


def prepare(names: list[str], suite: Path) -> list[PreparedTask]:
    """Read and check every requested task's items (before any model is loaded)."""
    prepared = []
    for name in names:
        spec = TASKS[name]
        source = suite / spec.file
        if not source.is_file():
            raise InputError(
                _("task {name}: its data {source} is missing", name=name, source=str(source)),
                _(
                    "pass --suite with a folder holding {files}",
                    files=", ".join(t.file for t in TASKS.values()),
                ),
            )
        raw = read_items(source, spec.required)
        unique_ids(raw)
        prepared.append(
            PreparedTask(
                name,
                spec.kind,
                spec.what,
                [spec.to_doc(i) for i in raw],
                source,
                sha256_file(source),
            )
        )
    return prepared


def write_task_folder(tasks: list[PreparedTask], folder: Path) -> None:
    """Each task's documents (`<name>.jsonl`) and YAML into `folder`, with the task class the YAMLs
    name, which reads the documents from its own folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LOADER_SOURCE, folder / f"{LOADER}.py")
    for task in tasks:
        with (folder / f"{task.name}.jsonl").open("w", encoding="utf-8") as out:
            for item in task.items:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
        (folder / f"{task.name}.yaml").write_text(
            yaml.dump(_yaml(task), Dumper=_TaskDumper, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )


class _Function(str):
    """A YAML value lm-eval resolves to a function, from a module beside the YAML."""


class _TaskDumper(yaml.SafeDumper):
    """PyYAML's safe dumper that also writes `_Function` values with their tag."""


_TaskDumper.add_representer(
    _Function, lambda dumper, value: dumper.represent_scalar("!function", str(value))
)


def _yaml(task: PreparedTask) -> dict[str, Any]:
    common = {
        "task": task.name,
        # reads the documents beside the YAML, wherever lm-eval is run from (a relative
        # `data_files` alone would be read from the working directory)
        "class": _Function(f"{LOADER}.Documents"),
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": f"{task.name}.jsonl"}},
        "test_split": "test",
        "doc_to_text": "query",
        # The documents carry the space before each choice themselves (none before a cloze
        # filler that opens the sentence), so lm-eval must not add its default one.
        "target_delimiter": "",
        "metadata": {"version": 1.0, "source_sha256": task.source_sha256},
    }
    if task.kind == "multiple_choice":
        return {
            **common,
            "output_type": "multiple_choice",
            "doc_to_choice": "choices",
            "doc_to_target": "gold",
            "metric_list": [
                {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True},
            ],
        }
    return {
        **common,
        "output_type": "generate_until",
        "doc_to_target": "answers",
        "generation_kwargs": {
            "until": ["\n"],
            "max_gen_toks": MAX_ANSWER_TOKENS,
            "do_sample": False,
            "temperature": 0.0,
        },
        "metric_list": [
            {
                "metric": "exact_match",
                "aggregation": "mean",
                "higher_is_better": True,
                "ignore_case": True,
                "ignore_punctuation": True,
                "regexes_to_ignore": ["^\\s+", "\\s+$"],
            }
        ],
    }
