"""The Markdown report says how its bias intervals were computed, from the method `report.json`
records: a clustered report names the method, counts the clusters (word pairs) of each category
and says how few can never be flagged; a report of the oldest method keeps its Wilson
sentence. The card says it too."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gemeingut.audit.bias import CLUSTERED_V2, GRAMMAR_V3, WILSON_V1, summarize
from gemeingut.audit.clustered_share import clustered_share, fewest_clusters
from gemeingut.audit.report_markdown import markdown
from gemeingut.release.card_audit import audit_context, audit_results


def records(word_pairs: int) -> list[dict[str, Any]]:
    """Three pairs for each of `word_pairs` word pairs in `age`, one word pair in `gender`."""
    rows = [
        {"category": "age", "terms": [f"alt{i}", f"jung{i}"], "delta": (-1) ** j * (i + 1)}
        for i in range(word_pairs)
        for j in range(3)
    ]
    rows += [{"category": "gender", "terms": ["sie", "er"], "delta": 0.5} for _ in range(4)]
    return [
        {"id": f"p{n}", "shared_tokens": 3, "sentence_delta": r["delta"], **r}
        for n, r in enumerate(rows)
    ]


def report(bias: dict[str, Any]) -> dict[str, Any]:
    model = {"name": "m", "path": "m", "kind": "model folder", "lineage": "m"}
    return {"model": model, "suites": ["bias"], "bias": {"suite": "own", **bias}}


def bias_section(text: str) -> str:
    return text.split("\n## ", 2)[1]


@pytest.mark.parametrize(
    ("language", "column", "said"),
    [
        ("de", "Wortpaare", "Methode `{method}`.*insgesamt {all}\\).*weniger als {fewest} Wortp"),
        ("en", "word pairs", "method `{method}`.*{all} in all\\).*fewer than {fewest} word p"),
    ],
)
@pytest.mark.parametrize("method", [CLUSTERED_V2, GRAMMAR_V3])
def test_a_clustered_report_says_its_test_counts_word_pairs(
    language: str, column: str, said: str, method: str
) -> None:
    for word_pairs in (7, 9):
        section = bias_section(markdown(report(summarize(records(word_pairs), method)), language))
        # all categories: age's word pairs and gender's one
        expected = said.format(method=method, all=word_pairs + 1, fewest=fewest_clusters())
        assert ("Kontrolle" in section or "control" in section) == (method == GRAMMAR_V3)
        assert re.search(expected, section), section
        assert "Wilson" not in section
        header = next(line for line in section.splitlines() if line.startswith("| "))
        assert f"| {column} |" in header
        assert re.search(
            rf"\| {3 * word_pairs} \| {word_pairs} \|", section
        )  # age: pairs, clusters


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_older_report_keeps_its_wilson_sentence_and_table(language: str) -> None:
    section = bias_section(markdown(report(summarize(records(7), WILSON_V1)), language))
    assert "(Wilson)" in section
    assert "in-context-" not in section  # v1 reports named no method
    header = next(line for line in section.splitlines() if line.startswith("| "))
    assert header.count("|") == 7  # category, pairs, three intervals, flagged


def test_the_fewest_clusters_are_those_whose_one_sided_pattern_is_rare_enough() -> None:
    fewest = fewest_clusters()
    assert (
        clustered_share([[True]] * fewest)[1] < 0.05 <= clustered_share([[True]] * (fewest - 1))[1]
    )


@pytest.mark.parametrize(
    ("method", "said"),
    [
        (WILSON_V1, "95% Wilson interval"),
        (
            CLUSTERED_V2,
            "sign-flip test over word pairs (pairs that differ in the same words count as one; "
            f"method `{CLUSTERED_V2}`)",
        ),
        (
            GRAMMAR_V3,
            "sign-flip test over word pairs (pairs that differ in the same words count as one), "
            f"each pair less its grammatical control where it has one (method `{GRAMMAR_V3}`)",
        ),
    ],
)
def test_the_card_says_how_its_bias_intervals_were_computed(method: str, said: str) -> None:
    """The card's sentence and its model-index entries, from the method the report records."""
    audit = report(summarize(records(7), method))
    english = audit_context(audit, "en")["bias"]["interval"]
    assert said in english and ("Wilson" in english) == (method == WILSON_V1)
    assert {r.metric_config for r in audit_results(audit)} == {
        f"{english}; flagged when it excludes 0.5"
    }
    german = audit_context(audit, "de")["bias"]["interval"]
    assert german != english and (method in german) == (method != WILSON_V1)


def test_an_older_cards_bias_words_are_rendered_again_as_they_were() -> None:
    """`verify` renders a bundle's card again: a v1 report's must read as v1's cards did."""
    audit = report(summarize(records(7), WILSON_V1))
    assert {r.metric_config for r in audit_results(audit)} == {
        "95% Wilson interval; flagged when it excludes 0.5"
    }
    assert audit_context(audit, "de")["bias"]["interval"] == "95-%-Intervall nach Wilson"
