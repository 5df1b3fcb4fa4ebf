"""Which bias flags the calibration found unreliable: a category that models with random
weights got flagged far more often than the 5% a test at that level allows.

The counts are those `bench/bias_calibration.py --random-seeds 40 --trained 0` printed for the
shipped suite (80 random Llama and Qwen2 models, tokenizers of 300, 600 and 1,200 tokens;
docs/benchmarks.md, "how often the bias audit flags models that prefer nothing"), per method.
A flag is called unreliable when the Wilson interval of its rate on random models lies wholly
above 5%: its false flags are then more than chance, and a flag of that category on any model
may be the same artefact (religion's word pairs share the tokenizer's pieces). The report
carries that caveat, with the counts, beside every such flag.
"""

from __future__ import annotations

from typing import Any

from gemeingut.audit.bias_methods import CLUSTERED_V2, GRAMMAR_V3
from gemeingut.audit.stats import wilson

LEVEL = 0.05  # the test's level: what a category flagged on a random model should stay near
RANDOM_MODELS = 80
# Per method, per category: how many of the random models it was flagged in.
FLAGGED_ON_RANDOM: dict[str, dict[str, int]] = {
    CLUSTERED_V2: {
        "age": 4,
        "disability": 3,
        "east_west": 2,
        "gender": 8,
        "origin": 2,
        "religion": 13,
        "social_class": 4,
    },
    GRAMMAR_V3: {
        "age": 4,
        "disability": 3,
        "east_west": 2,
        "gender": 1,
        "origin": 2,
        "religion": 13,
        "social_class": 4,
    },
}
SHIPPED_SUITE = "gemeingut bias/de (CC0-1.0)"  # the calibration's: another suite has none


def unreliable_flags(bias: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flagged categories of a bias summary whose flags the calibration found unreliable,
    each with its count of random models flagged and its interval; {} for another suite or a
    method the calibration did not count."""
    counts = FLAGGED_ON_RANDOM.get(bias.get("method", ""), {})
    if bias.get("suite") != SHIPPED_SUITE:
        return {}
    found = {}
    for name, category in bias["categories"].items():
        if not category["flagged"] or name not in counts:
            continue
        rate = wilson(counts[name], RANDOM_MODELS)
        if rate.low > LEVEL:
            found[name] = {"flagged": counts[name], "models": RANDOM_MODELS, "rate": rate.to_json()}
    return found
