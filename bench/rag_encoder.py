"""Experiment: a static encoder trained offline on the collection itself, fused with BM25.

    .venv/bin/python bench/rag_encoder.py --laws 300 --questions 100
    .venv/bin/python bench/rag_encoder.py --laws 300 --questions 100 --exclude-question-laws

No model is downloaded: a tokenizer (WordPiece, `tokenizers`) is trained on the chunks, then a
table token -> vector (a text's vector: the mean of its tokens' rows, unit length, model2vec's
model) contrastively with in-batch negatives on pairs made from the collection without any
model: a section's heading title -> its chunk, one sentence of a chunk -> the rest of that
chunk (the benchmark's questions are "Was gilt zu {§ title}: {three words of one sentence}?":
the first half of such a question is a training query, the second a part of one). The
table is written as a model2vec folder and read back by `--embed`'s own loader, so the figures
are those `gemeingut rag` would get. The questions are `bench/rag.py`'s; with
`--exclude-question-laws` the laws they come from are left out of the training. Printed:
recall@5 and MRR@10 of BM25, dense, hybrid (RRF k=60 as `retrieve.fuse`), and the RRF variants
of `fusions`, also on a second question set (seed + 1) to choose a variant on; a variant
picked by the first set's figures is tuned on the questions it is measured on.

Kept as an experiment, not a `gemeingut rag` command: on the first 300 laws it gains at most
2 points over BM25 where the questions' laws were trained on, and costs 8 where they were not
(docs/benchmarks.md, Retrieval), so it is not the encoder the hybrid target needs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rag import ROOT, make_questions, write_laws  # the same laws and questions as bench/rag.py
from serve import machine

from gemeingut.apps.rag.readers import PATH_SEPARATOR
from gemeingut.apps.rag.storage import StoredChunk, searched_text
from gemeingut.model.encoder_layout import STATIC_TOKENIZER, STATIC_WEIGHTS

if TYPE_CHECKING:
    import torch

DEPTH = 100


def main() -> None:
    args = parse_args()
    import torch

    from gemeingut.apps.rag.embedders import EmbedderSpec, open_embedder
    from gemeingut.apps.rag.evaluate import Question
    from gemeingut.apps.rag.index import ingest, open_collection
    from gemeingut.apps.rag.readers import read_document

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-rag-encoder-") as tmp:
        folder = Path(tmp) / "gesetze"
        laws = write_laws(args.corpus, args.laws, folder)
        ingest(Path(tmp) / "c", "gesetze", [folder])
        questions = make_questions(folder, args.questions, args.seed, read_document, Question)
        collection = open_collection(Path(tmp) / "c", "gesetze")
        chunks = collection.chunks
        asked = {q.document for q in questions}
        keys = {c.document for c in chunks}
        left_out = {k for k in keys if any(q.names(k) for q in questions)}
        training = [
            c for c in chunks if not (args.exclude_question_laws and c.document in left_out)
        ]
        out = args.out or Path(tmp) / "encoder"
        trained = train_encoder(training, out, args.dim, args.vocab, args.seed, args.min_steps)
        embedder = open_embedder(EmbedderSpec(str(out)))
        texts = [searched_text(c) for c in chunks]
        vectors = np.concatenate(
            [embedder.embed(texts[i : i + 512]) for i in range(0, len(texts), 512)]
        )
        other = make_questions(folder, args.questions, args.seed + 1, read_document, Question)
        tables = {name: ranked(collection, embedder, vectors, qs)
                  for name, qs in (("questions", questions), ("other seed", other))}  # fmt: skip
    print(f"corpus: {len(laws):,} laws, {len(chunks):,} chunks; {len(questions)} questions "
          f"from {len(asked)} laws (seed {args.seed}; 'other seed': {args.seed + 1}); trained on "
          f"{len(training):,} chunks ({'without' if args.exclude_question_laws else 'with'} "
          f"the questions' laws): {trained}")  # fmt: skip
    print(machine())
    print(f"command: {' '.join(sys.argv)}\n")
    print("| mode | recall@5 | MRR@10 | other seed: recall@5 | MRR@10 |\n|---|---:|---:|---:|---:|")
    for mode in tables["questions"]:
        figures = [measure(t[mode], qs, chunks)
                   for t, qs in zip(tables.values(), (questions, other), strict=True)]  # fmt: skip
        print(f"| {mode} | " + " | ".join(f"{r:.3f} | {m:.3f}" for r, m in figures) + " |")


def ranked(collection, embedder, vectors: np.ndarray, questions: list) -> dict[str, list]:
    """Each mode's best `DEPTH` (row, score) for each question."""
    lexical = [collection.bm25.search(q.question, DEPTH) for q in questions]
    dense = []
    for v in embedder.embed([q.question for q in questions]):
        scores = vectors @ v
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        dense.append([(int(r), float(scores[r])) for r in top])
    return {"bm25": lexical, "dense": dense} | fusions(lexical, dense)


def fusions(lexical: list, dense: list) -> dict[str, list]:
    """`retrieve.fuse` (RRF, k=60), then variants: other k, the dense list weighted less, and
    fusion only where BM25 is unsure (its first score under 1.2 × its second)."""
    from gemeingut.apps.rag.retrieve import fuse

    rows = {"hybrid (RRF k=60)": [[(h.row, h.score) for h in fuse(b, d, DEPTH)]
                                  for b, d in zip(lexical, dense, strict=True)]}  # fmt: skip
    for k, weight in ((10, 1.0), (60, 0.5), (60, 0.3), (10, 0.3)):
        rows[f"RRF k={k}, dense × {weight}"] = [
            weighted(b, d, k, weight) for b, d in zip(lexical, dense, strict=True)
        ]
    rows["RRF k=60 where BM25 unsure"] = [
        b if len(b) > 1 and b[0][1] >= 1.2 * b[1][1] else f
        for b, f in zip(lexical, rows["hybrid (RRF k=60)"], strict=True)
    ]
    return rows


def weighted(lexical: list, dense: list, k: int, weight: float) -> list:
    scores: dict[int, float] = {}
    for w, ranked in ((1.0, lexical), (weight, dense)):
        for rank, (row, _s) in enumerate(ranked, 1):
            scores[row] = scores.get(row, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def measure(ranked: list, questions: list, chunks: list) -> tuple[float, float]:
    found, mrr = 0, 0.0
    for q, hits in zip(questions, ranked, strict=True):
        ranks = [i for i, (row, _s) in enumerate(hits[:10], 1) if q.answered_by(chunks[row])]
        found += bool(ranks and ranks[0] <= 5)
        mrr += 1 / ranks[0] if ranks else 0.0
    return found / len(questions), mrr / len(questions)


DIM = 256
VOCABULARY = 30_000
BATCH = 512
MIN_STEPS = 200  # steps at least: a small collection is read several times
LEARNING_RATE = 0.01
SCALE = 20.0  # 1 / temperature of the contrastive loss
MIN_SENTENCE_TOKENS = 6  # a shorter sentence says too little to be a question
UNKNOWN = "[UNK]"
# "§ 5", "Art. 3", "2.1", "IV." before a heading's title: a question names the title only.
_NUMBERING = re.compile(r"^(?:§+|art(?:ikel|\.)?|nr\.)?\s*[\divx]+[a-z]?(?:\.\d+)*\.?\s+", re.I)
_SENTENCE = re.compile(r"(?<=[.;:])\s+")

Tokens = list[int]


@dataclass(frozen=True)
class TrainReport:
    chunks: int
    pairs: int  # pairs an epoch
    vocabulary: int
    dim: int
    epochs: int
    seconds: float


def train_encoder(
    chunks: Sequence[StoredChunk],
    out: Path,
    dim: int = DIM,
    vocabulary: int = VOCABULARY,
    seed: int = 0,
    min_steps: int = MIN_STEPS,
) -> TrainReport:
    """Train on `chunks` and write the model2vec folder `out` (a new folder: made under a
    temporary name and renamed when whole, so a failed or stopped training leaves nothing)."""
    if out.exists():
        raise SystemExit(f"{out} exists")
    started = time.perf_counter()
    tokenizer = _tokenizer(chunks, vocabulary)
    pieces = _pieces(chunks, tokenizer)
    rng = random.Random(seed)
    table, epochs, made = _train(pieces, tokenizer.get_vocab_size(), dim, rng, seed, min_steps)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        _write(temporary, table, tokenizer, dim)
        os.replace(temporary, out)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    seconds = time.perf_counter() - started
    return TrainReport(len(chunks), made, tokenizer.get_vocab_size(), dim, epochs, seconds)


def heading_title(section: str | None) -> str:
    """The last heading of a section's path without its number ("§ 5 Rücknahme" ->
    "Rücknahme"): what a question about the section names."""
    last = (section or "").split(PATH_SEPARATOR.strip())[-1].strip()
    return _NUMBERING.sub("", last, count=1).strip()


def pairs(pieces: list[tuple[Tokens, Tokens, list[Tokens]]], rng: random.Random) -> list:
    """(question, passage) token pairs made without a model: a section's heading title -> its
    chunk (heading path and text); one sentence of a chunk -> the chunk without it."""
    made = []
    for title, head, sentences in pieces:
        if title and sentences:
            made.append((title, head + [t for s in sentences for t in s]))
        long = [i for i, s in enumerate(sentences) if len(s) >= MIN_SENTENCE_TOKENS]
        if len(sentences) >= 2 and long:
            chosen = rng.choice(long)
            rest = [t for i, s in enumerate(sentences) if i != chosen for t in s]
            made.append((sentences[chosen], head + rest))
    rng.shuffle(made)
    return made


def _tokenizer(chunks: Sequence[StoredChunk], vocabulary: int) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token=UNKNOWN))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocabulary, min_frequency=2, special_tokens=[UNKNOWN], show_progress=False
    )
    tokenizer.train_from_iterator((searched_text(c) for c in chunks), trainer)
    return tokenizer


def _pieces(chunks: Sequence[StoredChunk], tokenizer: Any) -> list:
    """Each chunk's tokens, made once: its heading's title, its heading path, its sentences
    (a chunk of under 3 words, such as "(weggefallen)", none)."""
    titles, heads, sentences, counts = [], [], [], []
    for c in chunks:
        found = (
            [s for s in _SENTENCE.split(c.text) if s.strip()] if len(c.text.split()) >= 3 else []
        )
        titles.append(heading_title(c.section))
        heads.append(c.section or "")
        sentences += found
        counts.append(len(found))

    def encode(texts: list[str]) -> list[Tokens]:
        return [e.ids for e in tokenizer.encode_batch(texts)]

    titles, heads, sentences = encode(titles), encode(heads), encode(sentences)
    made, at = [], 0
    for title, head, n in zip(titles, heads, counts, strict=True):
        made.append((title, head, sentences[at : at + n]))
        at += n
    return made


def _train(
    pieces: list, size: int, dim: int, rng: random.Random, seed: int, min_steps: int
) -> tuple[np.ndarray, int, int]:
    """The table after enough epochs for `min_steps` steps (one epoch at least); the epochs
    and the pairs an epoch."""
    import torch

    torch.manual_seed(seed)
    table = torch.nn.EmbeddingBag(size, dim, mode="mean", sparse=True)
    torch.nn.init.normal_(table.weight, std=0.1)
    optimizer = torch.optim.SparseAdam(table.parameters(), lr=LEARNING_RATE)
    made = pairs(pieces, rng)
    steps_an_epoch = max(1, len(made) // BATCH)
    epochs = max(1, -(-min_steps // steps_an_epoch))
    for epoch in range(epochs):
        made = made if epoch == 0 else pairs(pieces, rng)
        for start in range(0, max(1, len(made) - BATCH + 1), BATCH):
            batch = made[start : start + BATCH]
            logits = _embed(table, [q for q, _ in batch]) @ _embed(table, [p for _, p in batch]).T
            labels = torch.arange(len(batch))
            loss = (
                torch.nn.functional.cross_entropy(logits * SCALE, labels)
                + torch.nn.functional.cross_entropy(logits.T * SCALE, labels)
            ) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return table.weight.detach().numpy().astype(np.float32), epochs, len(made)


def _embed(table: torch.nn.EmbeddingBag, rows: list[Tokens]) -> torch.Tensor:
    import torch

    rows = [r or [0] for r in rows]
    offsets = torch.tensor([0] + [len(r) for r in rows[:-1]]).cumsum(0)
    flat = torch.tensor([t for r in rows for t in r])
    return torch.nn.functional.normalize(table(flat, offsets), dim=-1)


def _write(folder: Path, table: np.ndarray, tokenizer: Any, dim: int) -> None:
    """A model2vec folder: `embeddings`, the tokenizer, no length limit (a chunk is read
    whole, as model2vec reads it), vectors of unit length."""
    from safetensors.numpy import save_file

    folder.mkdir()
    save_file({"embeddings": table}, str(folder / STATIC_WEIGHTS))
    tokenizer.save(str(folder / STATIC_TOKENIZER))
    config = {"model_type": "model2vec", "normalize": True, "max_length": None, "hidden_dim": dim}
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
    )
    parser.add_argument("--laws", type=int, default=300, help="The first N laws (0: all).")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude-question-laws", action="store_true")
    parser.add_argument("--vocab", type=int, default=VOCABULARY)
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--min-steps", type=int, default=MIN_STEPS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="Keep the encoder folder here.")
    return parser.parse_args()


if __name__ == "__main__":
    main()
