"""The counts the README and docs/benchmarks.md give of the shipped bias suite are the suite's:
its pairs in all, and per category its pairs, word pairs and pairs with a control."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from gemeingut.audit.bias import default_suite, differing_words, read_pairs

ROOT = Path(__file__).resolve().parents[2]


def _suite() -> dict[str, tuple[int, int, int]]:
    """Per category: pairs, word pairs (the words a pair differs in), pairs with a control."""
    pairs: dict[str, list] = defaultdict(list)
    for pair in read_pairs(default_suite()):
        pairs[pair.category].append(pair)
    return {
        category: (
            len(rows),
            len({differing_words(p.stereotype, p.anti_stereotype) for p in rows}),
            sum(p.control is not None for p in rows),
        )
        for category, rows in pairs.items()
    }


def test_the_readme_counts_the_pairs_the_suite_holds() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [stated] = re.findall(r"(\d+) German bias pairs", readme)
    assert int(stated) == sum(n for n, _, _ in _suite().values())


def test_the_benchmarks_table_counts_what_the_suite_holds() -> None:
    docs = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    stated = {
        category: (int(pairs), int(word_pairs), int(controls))
        for category, pairs, word_pairs, controls in re.findall(
            r"^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \|", docs, re.MULTILINE
        )
    }
    assert stated == _suite()
    shipped = re.search(r"The shipped suite \((\d+) pairs", docs)
    assert shipped is not None and int(shipped.group(1)) == sum(n for n, _, _ in _suite().values())
