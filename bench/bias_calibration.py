"""Benchmark: how often the bias audit flags models that prefer nothing, and how often it flags
models trained towards the stereotype, for the suite and method before and after, one run.

    .venv/bin/python bench/bias_calibration.py                    # minutes on 2 busy cores
    .venv/bin/python bench/bias_calibration.py --random-seeds 20 --trained 5
    .venv/bin/python bench/bias_calibration.py --before HEAD~3    # another "before" suite
    .venv/bin/python bench/bias_calibration.py --categories religion  # score one category

- **False positives**: `--random-seeds` randomly initialised 2-layer Llama and as many Qwen2
  models (`tests/audit/tiny_lm.random_model`, a byte-level BPE trained on the suites'
  sentences, its size taken in turn from `--vocab-sizes`: how a tokenizer cuts the group words
  is shared by every model that uses it, so one tokenizer alone says little). They can prefer
  nothing, so a test at the 5% level should flag about 5% of their categories; the printed
  rate comes with Wilson's 95% interval over the category tests (which are not independent:
  read it as a rough one).
- **Power**: `--trained` tiny Llamas (`tiny_lm.train_tiny_lm`, seeded) trained for
  `--train-steps` steps on the stereotyping sentence of a seeded `--train-share` of the pairs,
  never on the other sentence: they carry the stereotype in part of every category. The share
  of their category tests flagged is the power; beside it, the mean share of pairs each such
  model prefers the stereotype in, to say how strong the bias was.
- **Before and after**: the shipped German suite at `--before` (read with `git show`) and in
  the working tree, each summarised by every method `report.json` can record
  (`in-context-wilson-v1`, `in-context-clustered-v2`, today's
  `in-context-grammar-controlled-v3`, which reads the grammatical controls of the suite's
  pairs where it has them). Every model scores each distinct pair (with its control) once;
  all summaries read the same scores.

Per category (the working tree's suite): its word pairs (the clusters of v2 and v3), their
effective number (Kish: (sum of sizes)^2 / sum of squared sizes; one large cluster counts for
little), its pairs with a control and the flags of both kinds of model by v2 and by v3; the
random models' flags per tokenizer size (each size is one tokenizer, shared by its models); and
the fewest clusters either can flag at all. Then, per category and tokenizer size, how far v3's
clusters move together on the random models (the design effect: the mean square of a category's
summed cluster surplus over its root sum of squares, which the sign-flip test takes to be 1;
above 1, word pairs share the tokenizer's pieces and a random model's reaction to them), and the
`form_preference` finding (which grammatical form a model prefers in gender's neutral controls:
its own finding, not a stereotype flag) of both kinds of model.

`--categories` scores only the named categories, for a quicker run: the tokenizers and the
trained models still come from every pair, so a category's flags are those of a full run.
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUITE = "gemeingut/audit/suites/bias/de"
ARCHITECTURES = ("llama", "qwen2")


def main() -> None:
    args = parse_args()
    import torch
    from transformers.utils import logging

    from gemeingut.audit.bias import METHODS, default_suite, read_pairs

    torch.set_num_threads(args.threads)
    logging.disable_progress_bar()  # one line per model instead (on stderr)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-bias-") as tmp:
        root = Path(tmp)
        every = {
            f"before ({args.before})": read_pairs(suite_at(args.before, root / "before")),
            "after (working tree)": read_pairs(default_suite()),
        }
        distinct = _distinct(pair for pairs in every.values() for pair in pairs)
        texts = [
            s
            for p in distinct.values()
            for s in (p.stereotype, p.anti_stereotype, *(p.control or ()))
        ]
        suites = _only(every, args.categories)
        keys = _keys(suites)
        scored = {key: p for key, p in distinct.items() if key in keys}
        print(machine(args))
        print(_suites_line(suites))

        def flagged(records: dict[tuple, dict]) -> dict[tuple[str, str], list]:
            return _flags(records, suites, METHODS)

        random_runs, designs, precision = [], [], ""
        for architecture in ARCHITECTURES:
            for seed in range(args.random_seeds):
                vocab = args.vocab_sizes[seed % len(args.vocab_sizes)]
                folder = root / f"{architecture}-{seed}-v{vocab}"
                _random_model(folder, architecture, seed, texts, vocab)
                records, precision = score(folder, scored, args.precision)
                random_runs.append(flagged(records))
                designs.append(_design(records, list(suites.values())[-1]))
                _progress(folder, started)
        trained_runs, strength = [], []
        for seed in range(args.trained):
            folder = _trained_model(root / f"trained-{seed}", distinct, texts, seed, args)
            records, precision = score(folder, scored, args.precision)
            trained_runs.append(flagged(records))
            strength.append(_stereotype_share(records))
            _progress(folder, started)
        print(f"precision: {precision}; {time.perf_counter() - started:.0f} s in all\n")
        report(args, suites, METHODS, random_runs, trained_runs, strength)
        _by_tokenizer_design(args, designs)
        _forms_report(list(suites)[-1], random_runs, trained_runs)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--random-seeds", type=int, default=10, help="random models per architecture"
    )
    parser.add_argument(
        "--vocab-sizes",
        type=lambda text: [int(v) for v in text.split(",")],
        default=[300, 600, 1200],
        help="tokenizer sizes of the random models, in turn",
    )
    parser.add_argument("--trained", type=int, default=6, help="models trained on stereotypes")
    parser.add_argument("--train-steps", type=int, default=60)
    parser.add_argument("--train-share", type=float, default=0.5, help="share of pairs trained on")
    parser.add_argument(
        "--before", default="e969d94", help="git revision whose suite is the 'before' one"
    )
    parser.add_argument(
        "--categories",
        type=lambda text: set(text.split(",")),
        help="score only these categories (comma-separated; default: all)",
    )
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "auto"))
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: fastest on a shared machine)"
    )
    args = parser.parse_args()
    if args.random_seeds < 1 or args.trained < 0 or not 0 < args.train_share <= 1:
        parser.error("--random-seeds must be at least 1, --train-share in (0, 1]")
    return args


def suite_at(revision: str, out: Path) -> Path:
    """The shipped suite's files as they were at `revision` (git), written to `out`."""
    names = _git("ls-tree", "--name-only", f"{revision}:{SUITE}").split()
    out.mkdir(parents=True)
    for name in (n for n in names if n.endswith(".jsonl")):
        (out / name).write_text(_git("show", f"{revision}:{SUITE}/{name}"), "utf-8")
    return out


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, encoding="utf-8")
    if done.returncode:
        sys.exit(f"git {' '.join(arguments)}: {done.stderr.strip()}")
    return done.stdout


def machine(args: argparse.Namespace) -> str:
    import torch

    from gemeingut.model.machine import cpu_computes_bf16, cpu_model

    return (
        f"CPU: {cpu_model()} ({platform.machine()}), torch kernels "
        f"{torch.backends.cpu.get_cpu_capability()}, bf16 units: {cpu_computes_bf16()}; "
        f"{args.threads} torch thread(s); torch {torch.__version__}; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}\n"
        f"command: {' '.join(sys.argv)}"
    )


def _progress(folder: Path, started: float) -> None:
    print(f"{folder.name} done, {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _key(pair: Any) -> tuple[str, str, str, tuple[str, str] | None]:
    """A pair by its sentences: one with a control is another than the same without."""
    return (pair.category, pair.stereotype, pair.anti_stereotype, pair.control)


def _distinct(pairs: Iterable[Any]) -> dict[tuple, Any]:
    """Each distinct pair of all suites once, with an id of its own (for the item log) and
    the forms any suite names for it."""
    distinct: dict[tuple, Any] = {}
    for pair in pairs:
        kept = distinct.setdefault(_key(pair), replace(pair, id=f"pair-{len(distinct)}"))
        if pair.forms:  # the same sentences, now naming their forms: their record names them
            distinct[_key(pair)] = replace(kept, forms=pair.forms)
    return distinct


def _only(suites: dict[str, list], categories: set[str] | None) -> dict[str, list]:
    """Each suite's pairs of `categories` (all where None)."""
    if categories is None:
        return suites
    known = {p.category for pairs in suites.values() for p in pairs}
    if not categories <= known:
        sys.exit(f"--categories: no pairs of {', '.join(sorted(categories - known))}")
    return {name: [p for p in pairs if p.category in categories] for name, pairs in suites.items()}


def _keys(suites: dict[str, list]) -> set[tuple]:
    return {_key(p) for pairs in suites.values() for p in pairs}


def _suites_line(suites: dict[str, list]) -> str:
    (before, old), (after, new) = suites.items()
    added = {_key(p)[:3] for p in new} - {_key(p)[:3] for p in old}
    removed = {_key(p)[:3] for p in old} - {_key(p)[:3] for p in new}
    change = f"{len(added)} added, {len(removed)} removed" if added or removed else "the same pairs"
    controls = sum(bool(p.control) for p in new) - sum(bool(p.control) for p in old)
    return (
        f"suites: {before} {len(old)} pairs, {after} {len(new)} pairs ({change}; "
        f"{controls} more with a control)"
    )


def _random_model(out: Path, architecture: str, seed: int, texts: list[str], vocab: int) -> Path:
    from tests.audit.tiny_lm import random_model

    return random_model(out, architecture, seed, texts, vocab)


def _trained_model(
    out: Path, distinct: dict, texts: list[str], seed: int, args: argparse.Namespace
) -> Path:
    """A tiny Llama trained on the stereotyping sentence of a seeded share of the pairs."""
    from tests.audit.tiny_lm import train_tiny_lm

    rng = random.Random(seed)
    chosen = [p.stereotype for p in distinct.values() if rng.random() < args.train_share]
    return train_tiny_lm(
        chosen,
        out,
        steps=args.train_steps,
        vocab_size=300,
        learning_rate=3e-3,
        seed=seed,
        tokenizer_texts=texts,
    )


def score(
    folder: Path, distinct: dict[tuple, Any], precision: str
) -> tuple[dict[tuple, dict], str]:
    """Each distinct pair's record, by its key; and the precision it was scored in."""
    from gemeingut.audit.bias import score_pairs
    from gemeingut.audit.item_log import ItemLog
    from gemeingut.audit.target import LocalTarget

    target = LocalTarget(folder, folder.name, folder.name, precision=precision, device="cpu")
    pairs = list(distinct.values())
    records = score_pairs(target, pairs, ItemLog(folder.with_suffix(".jsonl")))
    return {_key(p): r for p, r in zip(pairs, records, strict=True)}, target.describe()["precision"]


def _flags(
    records: dict[tuple, dict], suites: dict[str, list], methods: Iterable[str]
) -> dict[tuple[str, str], list[str]]:
    """The flagged categories of each suite under each method, from the same scores, and its
    flagged form preferences (under the key (suite, "forms"))."""
    from gemeingut.audit.bias import summarize
    from gemeingut.audit.bias_methods import GRAMMAR_V3

    flags = {}
    for name, pairs in suites.items():
        rows = [records[_key(p)] for p in pairs]
        for method in methods:
            flags[(name, method)] = summarize(rows, method)["flagged"]
        forms = summarize(rows, GRAMMAR_V3).get("form_preference", {})  # v3's controls
        flags[(name, "forms")] = [
            f"{c}: {'first' if f['prefers_first']['value'] > 0.5 else 'second'}"
            for c, f in forms.items()
            if f["flagged"]
        ]
    return flags


def _design(records: dict[tuple, dict], pairs: list) -> dict[str, float]:
    """Per category, v3's summed cluster surplus (pairs preferring the stereotype less half)
    over its root sum of squares: about ±1 where clusters are independent, as the sign-flip
    test assumes; squared and averaged over models, the design effect."""
    from gemeingut.audit.bias import word_pair_clusters

    by_category = defaultdict(list)
    for pair in pairs:
        by_category[pair.category].append(records[_key(pair)])
    z = {}
    for category, rows in by_category.items():
        surplus = [
            sum(d > 0 for d in c) - len(c) / 2 for c in word_pair_clusters(rows, True).values()
        ]
        squares = sum(u * u for u in surplus)
        z[category] = sum(surplus) / squares**0.5 if squares else 0.0
    return z


def _stereotype_share(records: dict[tuple, dict]) -> dict[str, float]:
    """Per category, the share of pairs (with words after the group term) preferring the
    stereotype: how strongly a trained model took it on."""
    shares: dict[str, list[bool]] = defaultdict(list)
    for record in records.values():
        if record["shared_tokens"]:
            shares[record["category"]].append(record["delta"] > 0)
    return {name: sum(v) / len(v) for name, v in shares.items()}


def report(
    args: argparse.Namespace,
    suites: dict[str, list],
    methods: Iterable[str],
    random_runs: list[dict],
    trained_runs: list[dict],
    strength: list[dict[str, float]],
) -> None:
    from gemeingut.audit.bias_methods import CLUSTERED_V2, GRAMMAR_V3
    from gemeingut.audit.clustered_share import fewest_clusters
    from gemeingut.audit.stats import wilson

    def rate(runs: list[dict], key: tuple[str, str]) -> str:
        if not runs:
            return "–"
        tests = len(runs) * len(categories[key[0]])
        flags = sum(len(run[key]) for run in runs)
        w = wilson(flags, tests)
        return f"{flags}/{tests} = {100 * w.value:.1f}% [{100 * w.low:.1f}–{100 * w.high:.1f}]"

    categories = {name: sorted({p.category for p in pairs}) for name, pairs in suites.items()}
    print(
        f"{len(random_runs)} random models ({args.random_seeds} Llama, {args.random_seeds} "
        f"Qwen2; tokenizers of {', '.join(map(str, args.vocab_sizes))} tokens in turn); "
        f"{len(trained_runs)} Llama trained {args.train_steps} steps on the stereotype "
        f"of {100 * args.train_share:.0f}% of the pairs\n"
    )
    print("| suite | method | random: flagged / tests (false positives) | trained: power |")
    print("|---|---|---|---|")
    for name in suites:
        for method in methods:
            key = (name, method)
            print(f"| {name} | `{method}` | {rate(random_runs, key)} | {rate(trained_runs, key)} |")
    after = list(suites)[-1]
    keys = [(after, CLUSTERED_V2), (after, GRAMMAR_V3)]
    print(f"\nPer category, {after}, flags over models by `{CLUSTERED_V2}` / `{GRAMMAR_V3}`:\n")
    print(
        "| category | pairs | word pairs | effective | with control | random flagged v2 / v3 "
        "| trained flagged v2 / v3 | trained: share preferring |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for category in categories[after]:
        sizes = _cluster_sizes(suites[after], category)
        kish = sum(sizes) ** 2 / sum(s * s for s in sizes)
        controls = sum(bool(p.control) for p in suites[after] if p.category == category)
        random_flags = " / ".join(f"{_count(random_runs, k, category)}" for k in keys)
        trained_flags = " / ".join(f"{_count(trained_runs, k, category)}" for k in keys)
        shares = [s[category] for s in strength if category in s]
        share = f"{100 * sum(shares) / len(shares):.0f}%" if shares else "–"
        print(
            f"| {category} | {sum(sizes)} | {len(sizes)} | {kish:.1f} | {controls} | "
            f"{random_flags} of {len(random_runs)} | {trained_flags} of {len(trained_runs)} "
            f"| {share} |"
        )
    _by_tokenizer(args, categories[after], random_runs, keys)
    print(
        f"\nThe fewest word pairs `{CLUSTERED_V2}` and `{GRAMMAR_V3}` can flag (all pointing "
        f"one way): {fewest_clusters()}."
    )


def _by_tokenizer(
    args: argparse.Namespace, categories: list[str], runs: list[dict], keys: list[tuple]
) -> None:
    """Random models flagged per tokenizer size: every model of a size shares its tokenizer,
    so how it cuts the group words weighs on all of them alike."""
    vocabs = args.vocab_sizes
    # runs are in the order of main's loops: per architecture, seeds 0, 1, …
    by_size = defaultdict(list)
    for i, run in enumerate(runs):
        by_size[vocabs[(i % args.random_seeds) % len(vocabs)]].append(run)
    sizes = [v for v in dict.fromkeys(vocabs) if v in by_size]
    print("\nRandom models flagged per tokenizer size (v2 / v3 of the models of that size):\n")
    print(f"| category | {' | '.join(map(str, sizes))} |")
    print(f"|---|{'---:|' * len(sizes)}")
    for category in categories:
        cells = [
            " / ".join(str(_count(by_size[v], k, category)) for k in keys)
            + f" of {len(by_size[v])}"
            for v in sizes
        ]
        print(f"| {category} | {' | '.join(cells)} |")


def _by_tokenizer_design(args: argparse.Namespace, designs: list[dict[str, float]]) -> None:
    """The design effect of v3's clusters per category and tokenizer size (random models)."""
    by_size = defaultdict(list)
    for i, z in enumerate(designs):
        by_size[args.vocab_sizes[(i % args.random_seeds) % len(args.vocab_sizes)]].append(z)
    sizes = [v for v in dict.fromkeys(args.vocab_sizes) if v in by_size]
    print("\nDesign effect of v3's clusters on the random models, per tokenizer size (1: the")
    print(
        "clusters are independent, as the test assumes; 2: the test's variance is half the real):\n"
    )
    print(f"| category | {' | '.join(map(str, sizes))} |")
    print(f"|---|{'---:|' * len(sizes)}")
    for category in sorted(designs[0]):
        cells = [sum(z[category] ** 2 for z in by_size[v]) / len(by_size[v]) for v in sizes]
        print(f"| {category} | {' | '.join(f'{c:.2f}' for c in cells)} |")


def _forms_report(after: str, random_runs: list[dict], trained_runs: list[dict]) -> None:
    """How often each kind of model is found to prefer a grammatical form (`after`: the
    working tree's suite)."""
    key = (after, "forms")
    found = sorted({f for run in random_runs + trained_runs for f in run[key]})
    print("\n`form_preference` flagged (contrast: the form preferred, first or second):\n")
    print("| contrast | random models | trained models |")
    print("|---|---:|---:|")
    for name in found:
        random_count = sum(name in run[key] for run in random_runs)
        trained_count = sum(name in run[key] for run in trained_runs)
        counts = f"{random_count} of {len(random_runs)} | {trained_count} of {len(trained_runs)}"
        print(f"| {name} | {counts} |")


def _cluster_sizes(pairs: list, category: str) -> list[int]:
    from gemeingut.audit.bias import differing_words

    counted = Counter(
        differing_words(p.stereotype, p.anti_stereotype) for p in pairs if p.category == category
    )
    return list(counted.values())


def _count(runs: list[dict], key: tuple[str, str], category: str) -> int:
    return sum(category in run[key] for run in runs)


if __name__ == "__main__":
    main()
