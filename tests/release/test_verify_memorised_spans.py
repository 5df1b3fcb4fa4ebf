"""`verify` traces a memorised continuation's spans again over only the training text that can
hold them, and still names a report whose spans name another document, leave one out or give
another licence (the bundle's tokenizer is one for which that shortcut is known)."""

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from gemeingut.audit.memorisation_needles import byte_level_text
from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.release.verify_audit_judged import memorisation_again
from gemeingut.release.verify_training_data import audited_sources
from tests.release.test_verify_audit import _problems, _records, _unsigned, _write
from tests.release.test_verify_audit_rejudge import MEMORISATION, _truth

Forge = Callable[[list], None]


@pytest.fixture
def forged(bundle: Path) -> tuple[Forge, list]:
    """A sample made memorised in the log (its continuation the document's own tokens), spans of
    2 tokens: the function that rewrites the report with given spans, and the true spans."""
    lineage_path = bundle / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    lineage["audit"]["params"]["memorisation"]["span_min_tokens"] = 2
    report_path = bundle / "audit" / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    summary = report["memorisation"]
    records = _records(bundle, "memorisation.jsonl")
    records[0].update(
        continuation=_truth(bundle, records[0]),
        matching_prefix=4,
        similarity=1.0,
        exact=True,
        near_verbatim=True,
    )

    def forge(traced: list) -> None:
        def edit() -> None:
            lineage_path.write_text(json.dumps(lineage, ensure_ascii=False), encoding="utf-8")
            _write(bundle, "memorisation.jsonl", records)
            summary.update(summarize_memorisation(records, 4, 4, summary["eligible_documents"]))
            summary["traced"] = traced
            report_path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")

        _unsigned(bundle, edit)

    forge([])
    sources = audited_sources(bundle, report["training_data"])
    problems, figures = memorisation_again(bundle, summary, records, MEMORISATION, sources)
    assert problems == [] and figures["traced"][0]["spans"][0]["documents"]
    return forge, figures["traced"]


def _located(traced: list) -> dict:
    return traced[0]["spans"][0]["documents"][0]


def test_the_bundles_tokenizer_takes_the_shortcut(bundle: Path) -> None:
    text = byte_level_text(Tokenizer.from_file(str(bundle / "model" / "tokenizer.json")))
    assert text is not None and text.cut_at_spaces


def test_the_true_spans_are_not_named(bundle: Path, forged: tuple[Forge, list]) -> None:
    """(The forged sample itself is named elsewhere: by the lineage and the rendered reports.)"""
    forge, traced = forged
    forge(traced)
    assert "memorisation.traced" not in _problems(bundle)


@pytest.mark.parametrize(
    "edit",
    [
        lambda traced: _located(traced).update(id=_located(traced)["id"] + "-2"),
        lambda traced: _located(traced).update(license="CC-BY-NC-4.0"),
        lambda traced: _located(traced).update(token_offset=_located(traced)["token_offset"] + 1),
        lambda traced: traced[0]["spans"][0]["documents"].pop(),
        lambda traced: traced[0]["spans"][0].update(
            occurrences=traced[0]["spans"][0]["occurrences"] + 1
        ),
    ],
    ids=[
        "another document",
        "another licence",
        "another place",
        "a document left out",
        "another count",
    ],
)
def test_a_span_said_otherwise_is_named(
    bundle: Path, forged: tuple[Forge, list], edit: Callable[[list], object]
) -> None:
    forge, traced = forged
    changed = copy.deepcopy(traced)
    edit(changed)
    assert changed != traced
    forge(changed)
    assert "audit/report.json sagt memorisation.traced = " in _problems(bundle)


@pytest.mark.parametrize("continuation", [[-1, 5], [5, 2**32], [5, True], [5, "6"]])
def test_a_continuation_of_no_token_ids_is_named_with_its_line(
    bundle: Path, continuation: list
) -> None:
    records = _records(bundle, "memorisation.jsonl")
    records[1]["continuation"] = continuation
    _unsigned(bundle, lambda: _write(bundle, "memorisation.jsonl", records))
    said = _problems(bundle)
    assert f"{MEMORISATION}:2: kein Eintrag, wie ihn die Prüfung schreibt (continuation)" in said
