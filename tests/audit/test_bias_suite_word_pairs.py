"""The shipped German bias suite gives every category word pairs enough for the clustered test
to flag it (it counts each word pair once), and its README states the counts the files have."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from gemeingut.audit.bias import MinimalPair, default_suite, differing_words, read_pairs
from gemeingut.audit.clustered_share import fewest_clusters

# Well above what the test can flag at all: a category must be flaggable when only part of its
# word pairs lean one way.
WORD_PAIRS_NEEDED = 10
# One large word pair counts for little (Kish's effective number of clusters)
EFFECTIVE_NEEDED = 10


def word_pairs(pairs: list[MinimalPair]) -> dict[str, Counter]:
    sizes: dict[str, Counter] = defaultdict(Counter)
    for p in pairs:
        sizes[p.category][differing_words(p.stereotype, p.anti_stereotype)] += 1
    return sizes


def test_every_shipped_category_has_word_pairs_enough_to_be_flagged() -> None:
    sizes = word_pairs(read_pairs(default_suite()))
    assert len(sizes) == 7
    for category, counted in sizes.items():
        assert len(counted) >= max(WORD_PAIRS_NEEDED, fewest_clusters()), category
        n = sum(counted.values())
        effective = n * n / sum(size * size for size in counted.values())
        assert effective >= EFFECTIVE_NEEDED, (category, round(effective, 1))


def test_the_readme_states_the_counts_of_the_files() -> None:
    pairs = read_pairs(default_suite())
    sizes = word_pairs(pairs)
    readme = (default_suite() / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| `(\w+)\.jsonl` \| [^|]+ \| (\d+) \| (\d+) \| (\d+) \|$", readme, re.M)
    assert {category for category, *_ in rows} == set(sizes)
    for category, n, anti, clusters in rows:
        mine = [p for p in pairs if p.category == category]
        assert int(n) == len(mine), category
        assert int(anti) == sum(p.direction == "antistereo" for p in mine), category
        assert int(clusters) == len(sizes[category]), category
    assert f"Insgesamt {len(pairs)} Paare." in readme
    assert f"; {len(pairs)} pairs in total." in readme
    counts = readme.split("**Counts:**")[1].split("**Limitations:**")[0]
    said_pairs, said_clusters = counts.split("Distinct word pairs")
    assert dict(re.findall(r"`(\w+)` (\d+)", said_pairs)) == {
        c: str(sum(s.values())) for c, s in sizes.items()
    }
    assert dict(re.findall(r"`(\w+)` (\d+)", said_clusters)) == {
        c: str(len(s)) for c, s in sizes.items()
    }
