"""Behind `--upstream`, in front of a second `gemeingut serve`, a stream cut short by its client
is charged the tokens the engine generated for the text relayed, as the engine told them with
every chunk (`continuous_usage_stats`, which the gateway asks for): its text is not counted
again at the engine's `/tokenize`. Before, our server sent usage at the end only, so the
gateway had to count a cut stream's text, an estimate of what was generated.

The engine's bigram model (`test_cut_stream_count`) says a lone continuation byte and "a" by
turns, one token each, slowed so that the client leaves midway; the prompt is a token id, which
the gateway counts without asking the engine. The engine's app notes the paths asked of it.
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import usage
from tests.serve.gateway.test_cut_stream_count import LONG, Serve, by_turns, cut_stream  # noqa: F401


def test_a_cut_stream_is_charged_the_engines_own_count_without_counting_again(
    by_turns: Path,  # noqa: F811
    serve: Serve,
    tmp_path: Path,
) -> None:
    pieces, record, relayed, asked, store = cut_stream(by_turns, serve, tmp_path)
    assert pieces == ["\ufffda"] * 3
    assert record["status"] == 499, record
    assert relayed.startswith("".join(pieces)) and len(relayed) < LONG, relayed
    assert "/v1/completions" in asked and "/tokenize" not in asked, asked
    assert record["decision"] == "allowed", record  # not `tokens_estimated`
    # one token a character, as the engine said with the last chunk relayed
    assert (record["prompt_tokens"], record["completion_tokens"]) == (1, len(relayed)), record
    used = usage(store, "user", "anna", utcnow())
    assert (used["tokens_today"], used["tokens_reserved"]) == (1 + len(relayed), 0)
