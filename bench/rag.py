"""Benchmark: retrieval over all German federal laws: BM25 alone (the anchor), dense alone and
hybrid, in one run.

    .venv/bin/python bench/rag.py                                   # BM25 only, all laws
    .venv/bin/python bench/rag.py --embed workspace/model/mdl-…     # + dense and hybrid

The 6,636 laws of `../shared/corpora/gesetze.parquet` are written as Markdown files and
ingested with `gemeingut rag`'s own code (documents/s measured; each § is a section). The
question set is made without a model: for `--questions` sections "§ N Title" (one per law,
seeded), a question from the title and content words of one sentence of the norm, in another
order and without the law's name or the § number, e.g. "Was gilt zu Rücknahme des Antrags:
Antragsteller, zurücknehmen, Bescheid?". A question is answered by a chunk of that law and §.
Printed: recall@5 and MRR@10 per mode, hybrid minus BM25 in points (target ≥ +5), query
latency p50/p99 (target p50 < 100 ms), and the machine. `--compounds` adds BM25 without the
parts of compound words, and questions that write a compound as its parts (`compound_rows`).
A section given as a heading path ("Gesetz › § 5 Titel") is matched by its last heading.

    .venv/bin/python bench/rag.py --lost-words                      # what the readers keep

`--lost-words` only reads the laws and counts, per law, the words of its rendered page that
reach no chunk (neither its text nor its section, as BM25 indexes them) and those only in
sections, also for the lines above rules of dashes or equals signs (setext headings).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
from serve import machine  # the same CPU line as the serve benchmark

ROOT = Path(__file__).resolve().parents[1]
_SECTION = re.compile(r"^§+\s*\d+[a-z]?\s+(?P<title>\S.*)$")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{6,}")
_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def main() -> None:
    args = parse_args()
    if args.lost_words:
        return lost_words(args.corpus, args.laws)
    from gemeingut.apps.rag.embedders import EmbedderSpec
    from gemeingut.apps.rag.evaluate import Question, evaluate
    from gemeingut.apps.rag.index import ingest, open_collection
    from gemeingut.apps.rag.readers import read_document
    from gemeingut.apps.rag.retrieve import MODES

    with tempfile.TemporaryDirectory(prefix="bench-rag-") as tmp:
        folder = Path(tmp) / "gesetze"
        laws = write_laws(args.corpus, args.laws, folder)
        started = time.perf_counter()
        embed = EmbedderSpec(str(args.embed)) if args.embed else None
        report = ingest(Path(tmp) / "c", "gesetze", [folder], embed=embed)
        seconds = time.perf_counter() - started
        questions = make_questions(folder, args.questions, args.seed, read_document, Question)
        collection = open_collection(Path(tmp) / "c", "gesetze")
        modes = [m for m in MODES if collection.vectors is not None or m == "bm25"]
        scores = {m: evaluate(collection, questions, m, k=5) for m in modes}
        if args.rerank:  # each mode's best 20 ordered again by the cross-encoder
            from gemeingut.apps.rag.rerank import Reranker

            reranker = Reranker(args.rerank)
            for m in modes:
                reranked = evaluate(collection, questions, m, k=5, reranker=reranker)
                scores[reranked.mode] = reranked
        if args.compounds:  # does splitting compounds cost the exact questions, help these?
            scores |= compound_rows(collection, questions, evaluate)
        if args.questions_out:
            args.questions_out.write_text(
                "".join(json.dumps(q.__dict__, ensure_ascii=False) + "\n" for q in questions),
                encoding="utf-8",
            )
    print(f"corpus: {len(laws):,} laws, {report.chunks:,} chunks; {len(questions)} questions")
    print(f"ingest: {seconds:,.1f} s, {len(laws) / seconds:,.1f} documents/s "
          f"(dense vectors: {args.embed or 'none'})")  # fmt: skip
    print(machine())
    print(f"command: {' '.join(sys.argv)}\n")
    print("| mode | recall@5 | MRR@10 | query p50 ms | query p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for mode, s in scores.items():
        print(f"| {mode} | {s.recall:.3f} | {s.mrr:.3f} | {s.p50_ms:.1f} | {s.p99_ms:.1f} |")
    if "hybrid" in scores:
        gain = (scores["hybrid"].recall - scores["bm25"].recall) * 100
        print(f"\nhybrid − BM25 recall@5: {gain:+.1f} points (target ≥ +5)")
    fastest = scores["hybrid" if "hybrid" in scores else "bm25"]
    print(f"query p50 {fastest.p50_ms:.1f} ms (target < 100 ms)")


def lost_words(corpus: Path, limit: int) -> None:
    """Print the laws' chunks and the words of their rendered pages (distinct per law) that
    are in no chunk, or in sections only; and the same for their lines above rules."""
    from gemeingut.apps.rag.chunking import chunk_passages
    from gemeingut.apps.rag.readers import _markdown_parser, read_document

    chunks = nowhere = names_only = ruled_laws = ruled_nowhere = ruled_names_only = 0
    with tempfile.TemporaryDirectory(prefix="bench-rag-") as tmp:
        folder = Path(tmp) / "gesetze"
        for law_id, text in write_laws(corpus, limit, folder):
            found = chunk_passages(read_document(folder / f"{law_id.split('/')[-1]}.md"))
            chunks += len(found)
            in_text = set().union(*(_words(c.text) for c in found))
            in_names = set().union(*(_words(c.section or "") for c in found))
            page = _words(_rendered(text))
            nowhere += len(page - in_text - in_names)
            names_only += len(page & in_names - in_text)
            tokens = _markdown_parser().parse(text)
            ruled = set().union(*(_words(n.content) for t, n in pairwise(tokens) if _setext(t)))
            ruled_laws += bool(ruled)
            ruled_nowhere += len(ruled - in_text - in_names)
            ruled_names_only += len(ruled & in_names - in_text)
    print(f"corpus: {corpus} ({limit or 'all'} laws), {chunks:,} chunks")
    print(f"words of a law's page in no chunk: {nowhere:,}; in section names only: {names_only:,}")
    print(
        f"{ruled_laws:,} laws with lines above rules (setext headings): their words in no chunk "
        f"{ruled_nowhere:,}, in section names only {ruled_names_only:,}"
    )


def _rendered(markdown: str) -> str:
    """A law's page as a browser shows it: its Markdown rendered, without footnote marks."""
    from lxml import html

    from gemeingut.apps.rag.readers import _markdown_parser

    root = html.fragment_fromstring(_markdown_parser().render(markdown), create_parent="div")
    for mark in root.xpath('//sup[@class="footnote-ref"] | //a[@class="footnote-backref"]'):
        mark.drop_tree()
    return root.text_content()


def _words(text: str) -> set[str]:
    """The distinct words of `text`, lower-cased, as the readers leave a chunk's letters."""
    from gemeingut.apps.rag.readers import without_invisible, without_ligatures

    return set(re.findall(r"\w+", without_ligatures(without_invisible(text)).lower()))


def _setext(token) -> bool:
    return token.type == "heading_open" and token.markup in ("-", "=")


def write_laws(corpus: Path, limit: int, folder: Path) -> list[tuple[str, str]]:
    """The corpus' laws (the first `limit` by id; all with 0) as Markdown files in `folder`,
    one per law, as a user's documents would lie: ingested by `gemeingut rag`'s own readers."""
    if not corpus.is_file():  # both benches read the laws here: one message for a wrong path
        raise SystemExit(f"{corpus}: no such corpus file; give the laws' Parquet with --corpus")
    table = pq.read_table(corpus, columns=["id", "text"])
    laws = sorted(zip(table["id"].to_pylist(), table["text"].to_pylist(), strict=True))
    laws = laws[:limit] if limit else laws
    folder.mkdir()
    for law_id, text in laws:
        (folder / f"{law_id.split('/')[-1]}.md").write_text(text, encoding="utf-8")
    return laws


def compound_rows(collection, questions, evaluate) -> dict:
    """BM25 with and without the parts of compound words, on the questions and on those of
    them one of whose three words is a compound, written as its parts in reverse order
    ("Angebotsfrist" -> "Frist Angebot"): the § has the compound, the question its parts. The
    parts come from the splitter under test (`german_terms.parts`), so the second set shows
    what splitting finds when a question words a compound so, not how often one does."""
    from dataclasses import replace

    from gemeingut.apps.rag.german_terms import WORDS, parts
    from gemeingut.apps.rag.lexical import Lexical

    rewritten = []
    for q in questions:
        head, words = q.question[:-1].rsplit(": ", 1)
        words = words.split(", ")
        for i, word in enumerate(words):
            if found := parts(word.lower()):
                words[i] = " ".join(p.capitalize() for p in reversed(found))
                rewritten.append(replace(q, question=f"{head}: {', '.join(words)}?"))
                break
    label = f"compounds as parts ({len(rewritten)} questions)"
    rows = {f"bm25, {label}": evaluate(collection, rewritten, "bm25", k=5)}
    collection.bm25 = Lexical(collection.index_folder, WORDS, collection.language)
    rows["bm25 words only"] = evaluate(collection, questions, "bm25", k=5)
    rows[f"bm25 words only, {label}"] = evaluate(collection, rewritten, "bm25", k=5)
    return rows


def make_questions(folder: Path, n: int, seed: int, read_document, Question) -> list:
    """One question per chosen law: a § with a title and a sentence of ≥ 3 content words."""
    rng = random.Random(seed)
    files = sorted(folder.glob("*.md"))
    rng.shuffle(files)
    questions = []
    for path in files:
        candidates = []
        for passage in read_document(path):
            title = _SECTION.match((passage.section or "").split("›")[-1].strip())
            if title is None or "weggefallen" in title["title"]:
                continue
            for sentence in _SENTENCE.split(passage.text):
                words = list(dict.fromkeys(_WORD.findall(sentence)))
                if len(words) >= 3:
                    candidates.append((passage.section, title["title"], words))
        if not candidates:
            continue
        section, title, words = rng.choice(candidates)
        chosen = rng.sample(words, 3)
        question = f"Was gilt zu {title}: {', '.join(chosen)}?"
        questions.append(Question(question, f"gesetze/{path.name}", section))
        if len(questions) == n:
            break
    return questions


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
    )
    parser.add_argument("--laws", type=int, default=0, help="The first N laws (0: all).")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embed", type=Path, help="Model folder for dense vectors.")
    parser.add_argument("--rerank", type=Path, help="Cross-encoder folder to rerank with.")
    parser.add_argument(
        "--compounds",
        action="store_true",
        help="Also BM25 without compound parts, and questions that write a compound as its parts.",
    )
    parser.add_argument("--questions-out", type=Path, help="Write the question set (JSONL).")
    parser.add_argument(
        "--lost-words",
        action="store_true",
        help="Only count the words of the laws that reach no chunk (no retrieval).",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
