"""Cut the inputs into tasks that workers can run independently and in any order.

A Parquet source is cut into row ranges and an uncompressed JSONL file into byte ranges at line
starts; a compressed JSONL file, a folder or a saved dataset is one task. Task numbers follow
the recipe's source order, and the results are merged in that order, so the output does not
depend on how many workers ran or which finished first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.parquet as pq

from gemeingut.data.compressed import is_compressed
from gemeingut.data.line_spans import LineSpan, plan_line_spans
from gemeingut.data.readers import infer_format
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.recipe import SourceSpec

# Bytes of uncompressed JSONL per task: big enough that a task's start-up cost does not matter,
# small enough that a few large files still give every worker something to do.
TASK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Task:
    index: int
    source: int  # position in the recipe's source list
    rows: tuple[int, int] | None = None  # [start, stop) for Parquet sources
    span: LineSpan | None = None  # byte range and first line number for JSONL sources

    @property
    def name(self) -> str:
        return f"task-{self.index:05d}"


def plan_tasks(
    sources: list[SourceSpec], task_rows: int, task_bytes: int = TASK_BYTES
) -> list[Task]:
    tasks: list[Task] = []
    for position, spec in enumerate(sources):
        fmt = spec.format or infer_format(spec.path)
        if fmt == "parquet":
            for start in range(0, max(_parquet_rows(spec), 1), task_rows):
                tasks.append(Task(len(tasks), position, (start, start + task_rows)))
        elif fmt == "jsonl" and (spans := _line_spans(spec, task_bytes)):
            for span in spans:
                tasks.append(Task(len(tasks), position, span=span))
        else:
            tasks.append(Task(len(tasks), position))
    return tasks


def _line_spans(spec: SourceSpec, task_bytes: int) -> list[LineSpan]:
    """The spans of a plain file larger than one task, else none (one task); a file that cannot
    be read is left whole, for the reader to report as an InputError naming it."""
    path = spec.path
    try:
        if path.is_file() and not is_compressed(path) and path.stat().st_size > task_bytes:
            return plan_line_spans(path, task_bytes)
    except OSError:
        pass
    return []


def _parquet_rows(spec: SourceSpec) -> int:
    try:
        return pq.ParquetFile(spec.path).metadata.num_rows
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputError(
            _(
                "{path} is not a readable Parquet file: {error}",
                path=str(spec.path),
                error=str(exc),
            ),
            _("check the file"),
        ) from None
