"""The contamination check's histogram in words, for the data statement's block statistics.

stats.json keys each bucket as the check names it (`overlap_histogram.00-10%`, see
`gemeingut.data.contamination`): 0 % alone, then from one tenth to the next, the last up to
100 %. A reader is told what a bucket holds; the key stays beside it for whoever reads the
file.
"""

from __future__ import annotations

import re

from gemeingut.i18n import Message, _

HISTOGRAM = "overlap_histogram."
_BUCKET = re.compile(r"(\d+)-(\d+)%")


def bucket_words(key: str) -> Message | None:
    """What the bucket `key` (a flattened statistic's key) counts; None for another key."""
    if not key.startswith(HISTOGRAM):
        return None
    bucket = key.removeprefix(HISTOGRAM)
    if bucket == "0%":
        return _("test documents with none of their word n-grams in the training data (0 %)")
    match = _BUCKET.fullmatch(bucket)
    if match is None:
        return None
    low, high = int(match[1]), int(match[2])
    if low == 0:
        return _(
            "test documents with more than 0 % and less than {high} % of their word n-grams in "
            "the training data",
            high=high,
        )
    if high >= 100:
        return _(
            "test documents with {low} % or more of their word n-grams in the training data",
            low=low,
        )
    return _(
        "test documents with {low} % to less than {high} % of their word n-grams in the "
        "training data",
        low=low,
        high=high,
    )
