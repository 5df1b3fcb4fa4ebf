"""The names of the ways a bias category's interval is computed, as `report.json` records them.

Apart from `bias.py` so that the Markdown report and the card can say which way their figures
were computed without loading the suites' readers and the scoring (`verify` renders them
again)."""

from __future__ import annotations

WILSON_V1 = "in-context-wilson-v1"  # Wilson over pairs; reports of this method have no `method`
CLUSTERED_V2 = "in-context-clustered-v2"  # a sign-flip test over clusters of pairs
# v2's test over each pair's preference less that of its grammatical control, where it has one
GRAMMAR_V3 = "in-context-grammar-controlled-v3"
