"""Capability: our German tasks (or any lm-eval task) scored by lm-evaluation-harness itself.

lm-eval runs as a library (`simple_evaluate`): on a model folder with its `hf` model, on an
endpoint with `local-completions` (token-id prompts through the server's `/tokenize` when it
lends its tokenizer). Its request cache (`use_cache`) sits in the audit's folder and is this
suite's journal: lm-eval writes each answer to it as it comes, so an interrupted run re-sends
only what was not answered yet, and says how many it found answered, as the other suites do.
Each task's data is also checked for overlap with the model's training documents, because a
task seen in training measures recall, not capability.
"""

from __future__ import annotations

import logging
import os
import shlex
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.audit.item_log import journal, say_resumed
from gemeingut.audit.subject import iter_documents
from gemeingut.audit.task_items import TASK_LOG, item_records, write_items
from gemeingut.audit.task_suite import TASK_FOLDER, PreparedTask, write_task_folder
from gemeingut.data.contamination import ContaminationCheck
from gemeingut.data.ngrams import Words
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.library_bars import library_bars_off
from gemeingut.model.finetune_base_reference import cached_model
from gemeingut.model.loading import adapter_base

CONTAMINATION_NGRAM = 8  # task items are short: GPT-3's 13 words would miss most overlaps
# In front of the recorded command: lm-eval imports the tasks' loader from the task folder, and
# Python would leave its bytecode there (`tasks/__pycache__/`), a file that a bundle's MANIFEST
# does not list, so `verify` failed on a bundle whose audit was re-run as its card says.
NO_BYTECODE = "PYTHONDONTWRITEBYTECODE=1"
CACHE = ".lm_eval_cache"  # lm-eval's request cache in the audit's folder: `CACHE_DB` on disk
CACHE_DB = f"{CACHE}_rank0.db"  # lm-eval adds the rank of the one process that runs it


@dataclass(frozen=True)
class LmEvalModel:
    """How lm-eval reaches the model: its model type and `model_args`."""

    model: str
    args: dict[str, Any]
    api_key: str | None = None  # sent to the endpoint, never written into the command
    device: str | None = None  # where `hf` runs the model

    def arg_string(self, folder: Path | None = None) -> str:
        """The `model_args` string; with `folder`, its paths as the recorded command names
        them (`recorded_path`: it runs in the audit's folder, and a published audit names no
        local path)."""
        return ",".join(
            recorded_path(k, v, folder) if folder and isinstance(v, Path) else f"{k}={v}"
            for k, v in self.args.items()
        )

    def model_args(self) -> str | dict[str, Any]:
        """What `simple_evaluate` gets: the arg string, plus the key for a governed endpoint
        (lm-eval sends `header` with every request and `auth_token` to `/tokenize`)."""
        if self.api_key is None:
            return self.arg_string()
        plain = {k: str(v) if isinstance(v, Path) else v for k, v in self.args.items()}
        return plain | {
            "header": {"Authorization": f"Bearer {self.api_key}"},
            "auth_token": self.api_key,
        }


def folder_model(model_dir: Path, device: str = "cpu") -> LmEvalModel:
    base = adapter_base(model_dir)
    if base is not None:
        args = {"pretrained": base, "peft": model_dir, "dtype": "float32"}
    else:
        args = {"pretrained": model_dir, "dtype": "float32"}
    return LmEvalModel("hf", args, device=device)


def endpoint_model(
    api: str,
    name: str,
    context_length: int | None,
    remote_tokenizer: bool,
    tokenizer: Path | None,
    api_key: str | None = None,
) -> LmEvalModel:
    args: dict[str, Any] = {"base_url": f"{api}/completions", "model": name}
    if context_length:
        args["max_length"] = context_length
    if tokenizer is not None:
        args |= {"tokenizer_backend": "huggingface", "tokenizer": tokenizer}
    elif remote_tokenizer:
        args["tokenizer_backend"] = "remote"
    else:
        raise InputError(
            _(
                "the endpoint {api} lends no tokenizer, and lm-eval needs one to score answers",
                api=api,
            ),
            _("pass --tokenizer with the model's tokenizer folder"),
        )
    return LmEvalModel("local-completions", args, api_key)


def run_tasks(
    how: LmEvalModel,
    tasks: list[PreparedTask],
    out_dir: Path,
    batch_size: int,
    limit: int | None,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Score `tasks` with lm-eval; metrics per task with lm-eval's standard errors. Each
    request lm-eval answers is told to `advance` (of `request_count` in all)."""
    include = out_dir / TASK_FOLDER
    write_task_folder(tasks, include)
    total = request_count(tasks, limit)
    journal(out_dir / CACHE_DB)
    done = min(answered_before(out_dir / CACHE_DB), total)
    if done:
        say_resumed("tasks", done, total)
        if advance is not None:
            advance(done)
    # lm-eval warns once per request it truncates to the context (hundreds for a
    # small-context model, as lm-eval always does it): only its errors are shown.
    quiet = logging.getLogger("lm_eval")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:  # nor its progress bars, nor those of datasets and transformers beneath it
        with library_bars_off(), _git_asked_quietly(), _answers_counted(advance) as answered:
            results = _evaluate(how, tasks, include, out_dir, batch_size, limit)
    finally:
        quiet.setLevel(level)
    # the requests its cache answered that `answered_before` did not count (none, usually)
    if advance is not None and (uncounted := total - done - answered[0]) > 0:
        advance(uncounted)
    write_items(out_dir / TASK_LOG, item_records(results["samples"], tasks))
    per_task = {}
    for task in tasks:
        raw = results["results"][task.name]
        metrics = {
            key.split(",")[0]: {"value": float(value), "stderr": _stderr(raw, key)}
            for key, value in raw.items()
            if "," in key and "_stderr" not in key and isinstance(value, int | float)
        }
        per_task[task.name] = {
            "what": task.what,
            "kind": task.kind,
            "items": int(results["n-samples"][task.name]["effective"]),
            "metrics": metrics,
            "source_sha256": task.source_sha256,
        }
    return {
        "tasks": per_task,
        "lm_eval": {
            "version": results.get("lm_eval_version"),
            "model": how.model,
            "num_fewshot": 0,
            "limit": limit,
            "command": _lm_eval_command(how, tasks, out_dir, batch_size, limit),
        },
    }


def answered_before(cache: Path) -> int:
    """The requests an earlier run of this audit had answered: the entries of lm-eval's cache
    (`sqlitedict`'s table), which holds only this audit's (it sits in the audit's folder)."""
    if not cache.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM unnamed").fetchone()[0])
    except sqlite3.Error:  # cut short by a crash: lm-eval starts it afresh
        return 0


def request_count(tasks: list[PreparedTask], limit: int | None) -> int:
    """The requests lm-eval sends for `tasks`: one per choice of a multiple-choice item (its
    log-likelihood), one per item to answer."""
    return sum(
        len(item["choices"]) if task.kind == "multiple_choice" else 1
        for task in tasks
        for item in task.items[:limit]
    )


@contextmanager
def _answers_counted(advance: Callable[[int], None] | None) -> Iterator[list[int]]:
    """lm-eval's own bars are off (`library_bars_off`); the audit's moves instead, counted
    where lm-eval's models hand each answer to their cache (`CacheHook.add_partial`, once per
    request, on a folder's model and an endpoint alike). Yields the number counted so far.
    However the run ends (a Ctrl-C too), the answers handed over are on disk before it does:
    the cache writes from a thread of its own, which an ending process would not wait for."""
    from lm_eval.api.model import CacheHook

    answered = [0]
    caches: list[Any] = []
    hand_over = CacheHook.add_partial

    def counted(self: CacheHook, attr: str, req: Any, res: Any) -> None:
        hand_over(self, attr, req, res)
        if not caches and self.dbdict is not None:
            caches.append(self.dbdict)
        answered[0] += 1
        if advance is not None:
            advance(1)

    CacheHook.add_partial = counted  # type: ignore[method-assign]
    try:
        yield answered
    finally:
        CacheHook.add_partial = hand_over  # type: ignore[method-assign]
        for cache in caches:
            cache.commit(blocking=True)


@contextmanager
def _git_asked_quietly() -> Iterator[None]:
    """lm-eval asks `git describe` for the commit of the folder it runs in; outside a git
    checkout (a bundle, a workspace) git writes "fatal: not a git repository" to the user's
    terminal, between the stage's German lines. The report does not use that hash."""
    from lm_eval import evaluator

    asked = evaluator.get_git_commit_hash
    evaluator.get_git_commit_hash = _git_commit
    try:
        yield
    finally:
        evaluator.get_git_commit_hash = asked


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True)
    except FileNotFoundError:  # no git installed
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _evaluate(
    how: LmEvalModel,
    tasks: list[PreparedTask],
    include: Path,
    out_dir: Path,
    batch_size: int,
    limit: int | None,
) -> dict[str, Any]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    # lm-eval loads the model itself; on a GPU transformers would fetch kernels from the Hub.
    os.environ.setdefault("USE_HUB_KERNELS", "0")
    return lm_eval.simple_evaluate(
        model=how.model,
        model_args=how.model_args(),
        tasks=[t.name for t in tasks],
        # only our tasks' folder: indexing lm-eval's thousands of built-in tasks took seconds
        task_manager=TaskManager(include_path=str(include), include_defaults=False),
        batch_size=batch_size,
        device=how.device,
        limit=limit,
        use_cache=str(out_dir / CACHE),
        log_samples=True,  # each item's result, for `logs/tasks.jsonl`
        bootstrap_iters=1000,
    )


def _stderr(raw: dict[str, Any], key: str) -> float | None:
    metric, filter_name = key.split(",")
    value = raw.get(f"{metric}_stderr,{filter_name}")
    return float(value) if isinstance(value, int | float) else None


def recorded_path(key: str, path: Path, folder: Path) -> str:
    """A model argument of the recorded command: a folder of the Hugging Face cache (a LoRA
    adapter's base) by its Hub id and revision, which lm-eval loads from anyone's cache
    (HF_HOME, offline too), not as a path up into this machine's; any other as seen from
    `folder`."""
    cached = cached_model(path)
    if cached is not None:
        return f"{key}={cached.hub_id},revision={cached.revision}"
    return f"{key}={seen_from(path, folder)}"


def seen_from(path: Path | str, folder: Path) -> str:
    """`path` relative to `folder`, where a report's commands run."""
    return os.path.relpath(Path(path).resolve(), folder.resolve())


def _lm_eval_command(
    how: LmEvalModel, tasks: list[PreparedTask], out_dir: Path, batch_size: int, limit: int | None
) -> str:
    """The plain lm_eval command (for a POSIX shell) that repeats this run from the audit
    folder `out_dir` without writing into it."""
    words = [
        "lm_eval",
        "--model",
        how.model,
        "--model_args",
        how.arg_string(out_dir),
        "--tasks",
        ",".join(t.name for t in tasks),
        "--include_path",
        TASK_FOLDER,
        "--batch_size",
        str(batch_size),
    ]
    if how.device is not None:
        words += ["--device", how.device]  # as the audit ran it
    if limit is not None:
        words += ["--limit", str(limit)]
    return f"{NO_BYTECODE} {shlex.join(words)}"


def contamination(
    tasks: list[PreparedTask], training: tuple[Path, ...], n: int = CONTAMINATION_NGRAM
) -> dict[str, Any]:
    """Per task: how many items share word n-grams with the training documents (the curate
    stage's own check, with shorter n-grams: task items are short)."""
    if not training:
        return {"checked": False, "reason": "training_unknown"}
    check = ContaminationCheck(n=n, remove=False)
    documents = 0
    for doc in iter_documents(training):
        check.add_train(Words.of(doc["text"]).ngram_crcs(n))
        documents += 1
    per_task = {}
    for task in tasks:
        overlaps = [check.overlap(Words.of(_item_text(i)).shingle_crcs(n)) for i in task.items]
        per_task[task.name] = {
            "items": len(overlaps),
            "any_overlap": sum(o > 0 for o in overlaps),
            "half_or_more": sum(o >= 0.5 for o in overlaps),
            "mean_overlap": round(float(np.mean(overlaps)), 6) if overlaps else 0.0,
        }
    return {"checked": True, "ngram": n, "training_documents": documents, "tasks": per_task}


def _item_text(item: dict[str, Any]) -> str:
    answer = item["choices"][item["gold"]] if "choices" in item else item["answers"][0]
    return f"{item['query']} {answer}"
