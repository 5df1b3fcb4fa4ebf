"""The trace's help text counts documents and tokens apart, each with its own singular, so that
a one-token index reads "1 Token", never "1 Tokens" (the script fills `trace_tokens` or
`trace_tokens_one` into `trace_help` by `counted`; the browser test of the trace checks that)."""

from __future__ import annotations

from gemeingut.apps.web.texts import page_texts


def test_the_trace_help_has_a_singular_for_one_token() -> None:
    texts = page_texts("de")
    assert texts["trace_tokens_one"] == "1 Token"
    assert texts["trace_tokens"] == "{count} Tokens"
    for key in ("trace_help", "trace_help_one"):
        assert "({tokens})" in texts[key]  # the count with its noun, chosen by the script
        assert "Tokens" not in texts[key]
    english = page_texts("en")
    assert (english["trace_tokens_one"], english["trace_tokens"]) == ("1 token", "{count} tokens")
