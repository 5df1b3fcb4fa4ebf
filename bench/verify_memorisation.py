"""`verify`'s re-check of the memorisation sample over a real corpus: the sample drawn again and
the memorised spans traced again, with the shortcuts (`memorisation_needles.py`,
`memorisation_trace.py`) and, with `--whole`, as before (every document tokenized, the whole
corpus indexed), which must give the same result.

The corpus is ../shared/corpora/gesetze.parquet (all federal laws) as one training shard; the
tokenizer a byte-level BPE of 4,096 tokens trained on every 20th law (a tiny vocabulary: many
tokens per character, the most work for the tokenizer). The memorised continuations are 50
tokens of 20 laws (from their headers, which many laws share) and two common legal phrases.

    .venv/bin/python bench/verify_memorisation.py [--whole]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from tokenizers import Tokenizer

from gemeingut.audit.memorisation import sample_prompts, trace_memorised
from gemeingut.audit.memorisation_trace import PlainTokenizer, trace_in_training
from gemeingut.audit.span_trace import SpanIndex
from gemeingut.audit.subject import iter_documents, training_files
from gemeingut.model.tokenizer import train_tokenizer

LAWS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "gesetze.parquet"
PHRASES = (
    "\n\nDieses Gesetz tritt am Tage nach der Verkündung in Kraft.\n\n## § 1",
    " Die Bundesregierung wird ermächtigt, durch Rechtsverordnung mit Zustimmung des Bundesrates",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--whole", action="store_true", help="also time the way before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        table = pq.read_table(LAWS, columns=["id", "text", "license", "source_file"])
        table = table.rename_columns(["id", "text", "license", "source"])
        (root / "data").mkdir()
        pq.write_table(table, root / "data" / "train-00000.parquet")
        texts = table.column("text").to_pylist()
        train_tokenizer((t[:20000] for t in texts[::20]), root / "tok", 4096)
        tokenizer = Tokenizer.from_file(str(root / "tok" / "tokenizer.json"))
        words = PlainTokenizer(tokenizer)
        text = words.text
        assert text is not None
        files = training_files(root / "data")
        print(f"{len(texts):,} laws, {sum(map(len, texts)):,} characters")
        records = _records(texts, table.column("id").to_pylist(), words)
        del table, texts

        start = time.perf_counter()
        traced = trace_in_training(files, words, records, 8, text)
        print(f"spans traced again, shortcut: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        drawn = sample_prompts(files, words.tokenize, 200, 50, 50, 0, False, text.fewest_tokens)
        print(f"sample drawn again, shortcut: {time.perf_counter() - start:.1f} s")
        if args.whole:
            start = time.perf_counter()
            assert sample_prompts(files, words.tokenize, 200, 50, 50, 0) == drawn
            print(f"sample drawn again, every law tokenized: {time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            index = SpanIndex.build(iter_documents(files), words.tokenize)
            assert trace_memorised(index, words, records, 8) == traced
            print(f"spans traced again, whole corpus indexed: {time.perf_counter() - start:.1f} s")
            print("same results")


def _records(texts: list[str], ids: list[str], words: PlainTokenizer) -> list[dict]:
    rng = random.Random(0)
    records = []
    for n in rng.sample(range(len(texts)), 20):
        tokens = words.tokenize(texts[n][:5000])
        records.append({"document": ids[n], "continuation": tokens[50:100], "near_verbatim": True})
    for phrase in PHRASES:
        tokens = words.tokenize(phrase + " Verkündung in Kraft. Das ist alles")[:50]
        records.append({"document": "-", "continuation": tokens, "near_verbatim": True})
    return records


if __name__ == "__main__":
    main()
