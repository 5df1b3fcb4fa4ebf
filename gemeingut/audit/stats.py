"""Rates and means with 95% intervals, the numbers every audit claim is made of.

A share is reported with Wilson's score interval (sound for small n and for shares near 0 or
1, where the normal approximation gives intervals outside [0, 1]); a mean with a seeded
percentile bootstrap, so the same items always give the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% interval over `n` items."""

    value: float
    low: float
    high: float
    n: int

    def excludes(self, reference: float) -> bool:
        return reference < self.low or reference > self.high

    def to_json(self) -> dict[str, Any]:
        """Rounded; an estimate over no items has no value (None), not a certain 0."""
        if self.n == 0 and math.isnan(self.value):
            return {"value": None, "low": None, "high": None, "n": 0}
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in asdict(self).items()}


def wilson(successes: int, n: int) -> Estimate:
    """Share of successes with Wilson's 95% score interval; n = 0 gives [0, 1]."""
    if n == 0:
        return Estimate(0.0, 0.0, 1.0, 0)
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    spread = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return Estimate(p, max(0.0, centre - spread), min(1.0, centre + spread), n)


def bootstrap_mean(values: Sequence[float], seed: int = 0) -> Estimate:
    """Mean with a percentile-bootstrap 95% interval (BOOTSTRAP_SAMPLES resamples)."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(data), size=(BOOTSTRAP_SAMPLES, len(data)))
    means = data[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(data.mean()), float(low), float(high), len(data))
