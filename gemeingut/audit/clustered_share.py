"""A share over pairs that come in clusters, tested by flipping the signs of whole clusters.

Bias pairs that use the same group words are not independent: a model's plain reaction to the
words ("muslimische" vs "christliche") pushes all of them the same way, whatever follows. On
randomly initialised models (20 Llama and 20 Qwen2 seeds, 2 tokenizers, the shipped suite;
280 categories) and one random Qwen2 after 20 LoRA steps, Wilson intervals over pairs flagged
42 of 287 categories instead of about 14. Here each cluster counts as one unit: under "no
preference", each cluster's surplus of pairs preferring the stereotype is as likely positive as
negative, so the observed sum is compared with the sums under every (or 20,000 seeded random)
choice of signs; that flagged 16 of the 287. The interval holds every share the test does not
reject (and Wilson's over items); a share is flagged when its interval excludes 50%. 5 or fewer
clusters never reach p < 0.05 (`fewest_clusters`). `bench/bias_calibration.py` measures the
false positives on random models and the power on models trained towards the stereotype.
Word pairs that differ but share a word or token (gender's "die Pilotin"/"der Pilot" and "die
Chefin"/"der Chef") still move together, so random models got gender flagged more often than
one time in twenty (`docs/benchmarks.md`); clustering them by shared tokens instead leaves a
category one or two clusters, which can never be flagged. So v3 (`bias.py`) tests each pair's
preference less that of its grammatical control, which moves with the same tokens.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from gemeingut.audit.stats import BOOTSTRAP_SAMPLES, Estimate, wilson

ALPHA = 0.05
EXACT_UP_TO = 12  # clusters; 2**12 sign patterns, beyond that a seeded random sample
DRAWS = 20_000
STEPS = 30  # bisection steps for each end of the interval: 1e-9 in [0, 1]


def _signs(clusters: int, seed: int = 0) -> np.ndarray:
    if clusters <= EXACT_UP_TO:
        return np.array(list(itertools.product((1.0, -1.0), repeat=clusters)))
    rng = np.random.default_rng(seed)
    drawn = rng.choice((1.0, -1.0), size=(DRAWS, clusters))
    return np.vstack([np.ones(clusters), drawn])  # the observed pattern counts, as it must


def _p_value(signed: tuple[np.ndarray, np.ndarray], hits: float, n: float, share: float) -> float:
    """Share of sign patterns whose sum of surpluses (hits - share * size) is at least as far
    from 0 as the observed one; `signed` holds each pattern's signed hits and sizes."""
    signed_hits, signed_sizes = signed
    observed = abs(hits - share * n)
    return float((np.abs(signed_hits - share * signed_sizes) >= observed - 1e-9).mean())


def clustered_share(clusters: Sequence[Sequence[bool]]) -> tuple[Estimate, float]:
    """Share of True over all items, its 95% interval and the p-value of "share = 50%".

    The interval spans both the shares the sign-flip test accepts and Wilson's interval over
    items: clusters that all agree cannot make it narrower than the items alone allow."""
    groups = [c for c in clusters if len(c)]
    sizes = np.array([len(c) for c in groups], dtype=np.float64)
    hits = np.array([sum(c) for c in groups], dtype=np.float64)
    n = int(sizes.sum())
    if n == 0:
        return Estimate(0.0, 0.0, 1.0, 0), 1.0
    share = float(hits.sum() / n)
    signs = _signs(len(groups))
    signed = (signs @ hits, signs @ sizes)

    def accepted(value: float) -> bool:
        return _p_value(signed, float(hits.sum()), n, value) >= ALPHA

    pairs, p_value = wilson(int(hits.sum()), n), _p_value(signed, float(hits.sum()), n, 0.5)
    low = min(_end(accepted, share, 0.0), pairs.low)
    high = max(_end(accepted, share, 1.0), pairs.high)
    if p_value >= ALPHA:  # ties at exactly 50% make the p-value jump there: keep it inside
        low, high = min(low, 0.5), max(high, 0.5)
    return Estimate(share, low, high, n), p_value


def fewest_clusters() -> int:
    """The fewest clusters that can reach p < ALPHA (all of them pointing one way): a category
    with fewer can never be flagged, whatever the model does."""
    return next(k for k in itertools.count(1) if clustered_share([[True]] * k)[1] < ALPHA)


def _end(accepted: Callable[[float], bool], inside: float, outside: float) -> float:
    """The interval's end between `inside` (accepted) and `outside`, by bisection."""
    if accepted(outside):
        return outside
    for _ in range(STEPS):
        middle = (inside + outside) / 2
        if accepted(middle):
            inside = middle
        else:
            outside = middle
    return inside


def cluster_bootstrap_mean(clusters: Sequence[Sequence[float]], seed: int = 0) -> Estimate:
    """Mean over all items with a percentile interval from resampling whole clusters."""
    groups = [list(c) for c in clusters if len(c)]
    if not groups:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    sums = np.array([sum(c) for c in groups], dtype=np.float64)
    sizes = np.array([len(c) for c in groups], dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(groups), size=(BOOTSTRAP_SAMPLES, len(groups)))
    means = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(sums.sum() / sizes.sum()), float(low), float(high), int(sizes.sum()))
