"""`verify`'s recount of the training corpus's tokens (the AI Act summary's size, the windows
`training.json` records) on a real corpus: the way before beside the way now, which must give
the same count.

The corpus is ../shared/corpora/gesetze.parquet (all federal laws) as one training shard of a
bundle-like folder; the tokenizer a byte-level BPE of 4,096 tokens trained on every 20th law,
as in `bench/verify_memorisation.py` (a tiny vocabulary: many tokens per character, the most
work for the tokenizer). Each way runs in a fresh process (its own peak memory, no tokenizer
cache carried over), alternating, `--repeat` times; the fastest run of each counts.

- before: 1,024 rows at a time, `encode_batch` (offsets and all), `len(encoding.ids)`;
- now: `training_corpus` (`release/openness/corpus_size.py`).

    .venv/bin/python bench/verify_corpus_size.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LAWS = ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
SHARD = "training-data/train-00000.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--run", choices=("before", "now"), help=argparse.SUPPRESS)
    parser.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(_timed(args.run, args.bundle)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        bundle = Path(tmp)
        characters = _setup(bundle)
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        print(f"6,636 laws, {characters:,} characters, one shard")
        runs: dict[str, list[dict]] = {"before": [], "now": []}
        for _ in range(args.repeat):
            for way in runs:
                child = [sys.executable, __file__, "--run", way, "--bundle", str(bundle)]
                result = json.loads(subprocess.check_output(child, text=True).splitlines()[-1])
                runs[way].append(result)
                print(
                    f"{way:>6}: {result['wall']:6.1f} s wall, {result['cpu']:6.1f} s CPU, "
                    f"peak RSS {result['rss_mb']:,.0f} MB, {result['tokens']:,} tokens",
                    flush=True,
                )
        counts = {(r["documents"], r["bytes"], r["tokens"]) for rs in runs.values() for r in rs}
        assert len(counts) == 1, f"the ways count differently: {counts}"
        best = {way: min(r["wall"] for r in rs) for way, rs in runs.items()}
        cpu = {way: min(r["cpu"] for r in rs) for way, rs in runs.items()}
        print(
            f"same count; fastest wall {best['before']:.1f} s before, {best['now']:.1f} s now "
            f"({best['before'] / best['now']:.1f}×); CPU {cpu['before']:.1f} s before, "
            f"{cpu['now']:.1f} s now ({cpu['before'] / cpu['now']:.1f}×)"
        )


def _setup(bundle: Path) -> int:
    """The laws as the training shard of `bundle`, and its `model/tokenizer.json`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from gemeingut.model.tokenizer import train_tokenizer

    table = pq.read_table(LAWS, columns=["id", "text", "license", "source_file"])
    table = table.rename_columns(["id", "text", "license", "source"])
    (bundle / SHARD).parent.mkdir(parents=True)
    pq.write_table(table, bundle / SHARD)
    texts = table.column("text")
    train_tokenizer((t[:20000] for t in texts.to_pylist()[::20]), bundle / "model", 4096)
    return pc.sum(pc.utf8_length(texts)).as_py()


def _timed(way: str, bundle: Path) -> dict:
    start, cpu = time.perf_counter(), _cpu()
    documents, size, tokens = _before(bundle) if way == "before" else _now(bundle)
    return {
        "wall": time.perf_counter() - start,
        "cpu": _cpu() - cpu,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "documents": documents,
        "bytes": size,
        "tokens": tokens,
    }


def _before(bundle: Path) -> tuple[int, int, int]:
    """The count as `corpus_size._counted` made it until 2026-12-05."""
    import pyarrow.compute as pc

    from gemeingut.parquet_records import parquet_batches
    from gemeingut.release.bundle_tokenizer import bundle_tokenizer

    encoder = bundle_tokenizer(bundle)
    documents = size = tokens = 0
    for batch in parquet_batches(bundle / SHARD, SHARD, ["text"]):
        texts = batch.column(0)
        documents += len(texts)
        size += pc.sum(pc.binary_length(texts)).as_py() or 0
        encoded = encoder.encode_batch(texts.to_pylist(), add_special_tokens=False)
        tokens += sum(len(e.ids) + 1 for e in encoded)
    return documents, size, tokens


def _now(bundle: Path) -> tuple[int, int, int]:
    from gemeingut.release.openness.corpus_size import training_corpus

    counted = training_corpus(bundle)
    assert counted is not None and counted.tokens is not None
    return counted.documents, counted.bytes, counted.tokens


def _cpu() -> float:
    """CPU seconds of this process and its threads (the tokenizer's workers included)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    main()
