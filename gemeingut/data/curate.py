"""The curate stage: read sources, run the blocks, split, write shards, account for everything.

Two phases, as datatrove does it. Phase 1 runs the per-document blocks (licence gate, text
repair, filters, PII, fingerprints) on tasks in worker processes; each task writes its kept
documents with their fingerprints, its exclusions and block stats, then a completion marker, so
a run killed at any moment resumes with the tasks that have no marker. Phase 2 is sequential and
decides from fingerprints alone: global exact and near de-duplication, the split and the
contamination check; then it streams the kept texts from the task files into the shards, in task
order, so the output is byte for byte the same however many workers ran and however often the
run was interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.data.accounting import KeptCounts, run_stats
from gemeingut.data.blocks import ExactDedup, LicenseGate, MinLength, NormalizeText
from gemeingut.data.contamination import ContaminationCheck
from gemeingut.data.documents import (
    DOCUMENT_COLUMNS,
    Block,
    Document,
    Exclusion,
    Record,
    RecordBlock,
)
from gemeingut.data.executor import run_tasks
from gemeingut.data.fingerprints import Fingerprints
from gemeingut.data.near_dedup import MinHasher, NearDedup
from gemeingut.data.ngrams import sorted_unique
from gemeingut.data.pii import PIIScrubber
from gemeingut.data.readers import read_source
from gemeingut.data.shards import ShardWriter
from gemeingut.data.source_notes import no_documents, source_notes, source_reads
from gemeingut.data.splits import SPLITS, assign_split
from gemeingut.data.stats import merge_stats
from gemeingut.data.task_files import (
    read_ngrams,
    read_records,
    read_rows,
    write_atomic,
    write_documents,
)
from gemeingut.data.tasks import TASK_BYTES, Task, plan_tasks
from gemeingut.hashing import files_with_hashes
from gemeingut.i18n import _, text
from gemeingut.progress import progress_bar
from gemeingut.recipe import DataSection

WORK_DIR = ".work"
_EXCLUSION_COLUMNS = ("id", "source", "location", "reason", "license", "detail")
_EXCLUSION_SCHEMA = pa.schema(
    [(c, pa.string()) for c in _EXCLUSION_COLUMNS] + [("characters", pa.int64())]
)


def document_blocks(params: DataSection) -> list[Block]:
    """Blocks that look at one document at a time: they run in parallel in phase 1."""
    blocks: list[Block] = [
        LicenseGate(),
        NormalizeText(),
        MinLength(params.min_chars),
        *params.filters.blocks(),
    ]
    if params.pii_types:
        blocks.append(PIIScrubber(types=tuple(params.pii_types)))
    hasher = MinHasher() if params.near_dedup else None
    blocks.append(Fingerprints(params.contamination_ngram, hasher))
    return blocks


def corpus_blocks(params: DataSection) -> list[RecordBlock]:
    """Blocks that compare documents with each other: they run once, in order, in phase 2."""
    blocks: list[RecordBlock] = [ExactDedup()]
    if params.near_dedup:
        blocks.append(NearDedup(threshold=params.near_dedup_threshold, hasher=MinHasher()))
    return blocks


def curate(
    params: DataSection, out_dir: Path, workers: int = 1, task_bytes: int = TASK_BYTES
) -> dict[str, Any]:
    """Write the dataset into `out_dir` (resuming finished tasks found there); return stats.

    `task_bytes` is how much of an uncompressed JSONL file one task reads; like the number of
    workers, it changes how the work is cut, never the documents and exclusions written."""
    blocks = corpus_blocks(params)  # here, so that settings phase 2 refuses stop a run early
    work = out_dir / WORK_DIR
    work.mkdir(exist_ok=True)
    tasks = plan_tasks(params.sources, params.task_rows, task_bytes)
    pending = [t for t in tasks if not (work / f"{t.name}.done").exists()]
    with progress_bar(
        text(_("curate: filter")), total=len(tasks), unit=text(_("tasks"))
    ) as advance:
        advance(len(tasks) - len(pending))
        run_tasks(partial(run_task, params, work), pending, workers, advance, params.executor)
    task_stats = [json.loads((work / f"{t.name}.stats.json").read_text()) for t in tasks]
    read = source_reads(params.sources, tasks, task_stats)
    if not any(got.documents for got in read.values()):
        shutil.rmtree(work)  # nothing to resume, nothing to keep: no dataset of nothing
        raise no_documents(params.sources)
    stats = _merge(params, blocks, tasks, task_stats, work, out_dir)
    stats.update(source_notes(params.sources, read))
    stats["use_conditions"] = {
        source: spec.use_conditions
        for spec in params.sources
        if spec.use_conditions and (source := spec.name) in stats["kept_by_source"]
    }
    shutil.rmtree(work)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    manifest = {"files": files_with_hashes(out_dir)}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return stats


def run_task(params: DataSection, work: Path, task: Task) -> int:
    """Phase 1 for one task: its kept documents, exclusions and block stats, then the marker."""
    exclusions: list[Exclusion] = []
    read = Counter()
    given: Counter[str] = Counter()  # the source's licence, by the documents it went to

    def exclude_unread(exclusion: Exclusion) -> None:
        read["n"] += 1
        exclusions.append(exclusion)

    def counted(docs: Iterator[Document]) -> Iterator[Document]:
        for doc in docs:
            read["n"] += 1
            if doc.licence_from_source and doc.license is not None:
                given[doc.license] += 1
            yield doc

    spec = params.sources[task.source]
    source = read_source(
        spec, exclude_unread, task.rows, max_chars=params.max_chars, span=task.span
    )
    docs = counted(source)
    blocks = document_blocks(params)
    for block in blocks:
        docs = block.run(docs, exclusions.append)
    kept = write_documents(work / f"{task.name}.parquet", docs)
    write_atomic(work / f"{task.name}.exclusions.parquet", _exclusion_table(exclusions))
    summary = {"read": read["n"], "given_licence": dict(given), "blocks": _block_stats(blocks)}
    (work / f"{task.name}.stats.json").write_text(json.dumps(summary))
    marker = work / f"{task.name}.done"
    tmp = marker.with_name(f".{marker.name}.tmp-{os.getpid()}")  # unique: an orphaned worker
    tmp.write_text("done\n")  # of a killed run may still write the same task
    os.replace(tmp, marker)
    return kept


def _merge(
    params: DataSection,
    blocks: list[RecordBlock],
    tasks: list[Task],
    task_stats: list[dict[str, Any]],
    work: Path,
    out_dir: Path,
) -> dict[str, Any]:
    """Phase 2: global de-duplication, split and contamination check on the records of all
    tasks, then the shards and the exclusion list."""
    exclusions: list[Exclusion] = []
    records: Iterator[Record] = _phase_one_records(work, tasks)
    for block in blocks:
        records = block.run(records, exclusions.append)
    placed, test_candidates = _split(params, records)
    contamination = ContaminationCheck(
        params.contamination_ngram, params.contamination_threshold, params.remove_contaminated_test
    )
    test = _check_contamination(contamination, placed, test_candidates, work, tasks, exclusions)
    kept = KeptCounts()
    for record, split in placed:
        kept.add(record, split)
    for record in test:
        kept.add(record, "test")
    _write_shards(params, work, tasks, placed + [(record, "test") for record in test], out_dir)
    all_exclusions = pa.concat_tables(
        [pq.read_table(work / f"{t.name}.exclusions.parquet") for t in tasks]
        + [_exclusion_table(exclusions)]
    )
    pq.write_table(all_exclusions, out_dir / "exclusions.parquet", compression="zstd")
    documents_in = sum(s["read"] for s in task_stats)
    block_stats = merge_stats([s["blocks"] for s in task_stats] + [_block_stats(blocks)])
    block_stats["contamination"] = contamination.stats()
    return run_stats(documents_in, all_exclusions.to_pylist(), kept, block_stats)


def _phase_one_records(work: Path, tasks: list[Task]) -> Iterator[Record]:
    for task in tasks:
        yield from read_records(work / f"{task.name}.parquet", task.index)


def _split(
    params: DataSection, records: Iterator[Record]
) -> tuple[list[tuple[Record, str]], list[Record]]:
    """Training and validation documents (in corpus order), and the test candidates, which are
    judged only once every training n-gram is known."""
    placed: list[tuple[Record, str]] = []
    test: list[Record] = []
    for record in records:
        split = assign_split(
            record.id, params.split_seed, params.validation_fraction, params.test_fraction
        )
        if split == "test":
            test.append(record)
        else:
            placed.append((record, split))
    return placed, test


def _check_contamination(
    check: ContaminationCheck,
    placed: list[tuple[Record, str]],
    candidates: list[Record],
    work: Path,
    tasks: list[Task],
    exclusions: list[Exclusion],
) -> list[Record]:
    """The test candidates that pass; the n-gram hashes are read task by task."""
    train_rows: dict[int, list[int]] = defaultdict(list)
    for record, split in placed:
        if split == "train":
            train_rows[record.task].append(record.row)
    test_rows: dict[int, list[int]] = defaultdict(list)
    for record in candidates:
        test_rows[record.task].append(record.row)
    test_hashes = {}
    for task in tasks:
        train, test = train_rows.get(task.index, []), test_rows.get(task.index, [])
        path = work / f"{task.name}.parquet"
        if train:
            hashes = [h for _, h in read_ngrams(path, train)]
            check.add_train(sorted_unique(np.concatenate(hashes)))
        for row, hashes_of_row in read_ngrams(path, test):
            test_hashes[(task.index, row)] = hashes_of_row
    passed = []
    for record in candidates:
        contaminated, fraction = check.is_contaminated(test_hashes.pop((record.task, record.row)))
        if contaminated:
            detail = f"{fraction:.0%} of its {check.n}-grams occur in train"
            exclusions.append(record.exclusion("test-contamination", detail))
        else:
            passed.append(record)
    check.release()
    return passed


def _write_shards(
    params: DataSection,
    work: Path,
    tasks: list[Task],
    kept: list[tuple[Record, str]],
    out_dir: Path,
) -> None:
    """Stream the kept texts from the task files into the shards, one task at a time."""
    by_task: dict[int, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for record, split in kept:
        by_task[record.task][split].append(record)
    writers = {
        split: ShardWriter(out_dir, split, params.shard_rows, params.shard_bytes)
        for split in SPLITS
    }
    with progress_bar(
        text(_("curate: write shards")), total=len(tasks), unit=text(_("tasks"))
    ) as advance:
        for task in tasks:
            splits = by_task.pop(task.index, {})
            where = {r.row: (split, r.n_bytes) for split, rs in splits.items() for r in rs}
            path = work / f"{task.name}.parquet"
            for rows, table in read_rows(path, list(where), list(DOCUMENT_COLUMNS)):
                for split in SPLITS:
                    mine = [i for i, row in enumerate(rows) if where[row][0] == split]
                    if mine:
                        sizes = [where[rows[i]][1] for i in mine]
                        writers[split].add(table.take(pa.array(mine, type=pa.int64())), sizes)
            advance(1)
    for writer in writers.values():
        writer.flush()


def _block_stats(blocks: list[Any]) -> dict[str, Any]:
    return {b.name: b.stats() for b in blocks if hasattr(b, "stats")}


def _exclusion_table(exclusions: list[Exclusion]) -> pa.Table:
    rows = [{c: getattr(e, c) for c in (*_EXCLUSION_COLUMNS, "characters")} for e in exclusions]
    return pa.Table.from_pylist(rows, schema=_EXCLUSION_SCHEMA)
