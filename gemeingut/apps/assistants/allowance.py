"""How long an answer the daily token allowance still holds, read from the server's own refusal.

A governed server reserves a request's prompt and its longest answer (`max_tokens`) before it
generates, and refuses with a 429 whose `quota` names the limit, what is used and reserved
today, and what the request asked for (`serve.gateway.quotas.Refusal`). Where the allowance
holds the prompt and a useful answer, asking again for a shorter answer succeeds; this module
computes that answer's length from the refusal alone, never from a guess, so the server's
reservation stays the authority (a wrong figure is only refused once more). A draft asks the
model once per part, each as planned while the allowance holds it; once it refuses, what is
left is shared among the parts still to write, so that they are written shorter rather than
the next at the length it can still have and the rest not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LEAST_ANSWER_TOKENS = 16  # fewer is no useful answer: the refusal stands


def shorter_answer(quota: Mapping[str, Any], asked: int, parts: int = 1) -> int | None:
    """The answer tokens that each of `parts` requests with the refused request's prompt can
    have within what `quota` (a `tokens_per_day` refusal's facts) says is left, where `asked`
    answer tokens were refused; shared among fewer parts where not all of them hold
    `LEAST_ANSWER_TOKENS` (the last parts are then refused in turn). None where not even one
    part holds them, or where a shorter answer would not help (the refusal was not about the
    answer's length: the server reserves more than prompt and answer)."""
    left = int(quota["limit"]) - int(quota["used"]) - int(quota["reserved"])
    prompt = int(quota["requested"]) - asked  # what the reservation counts besides the answer
    for sharing in range(parts, 0, -1):
        tokens = (left - sharing * prompt) // sharing
        if tokens >= LEAST_ANSWER_TOKENS:
            return tokens if tokens < asked else None
    return None
