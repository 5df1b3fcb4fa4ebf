"""Every number in a German document of a release is written the German way (1.234, 0,5),
tables included, and `verify`, which renders each document again, re-checks the numbers in
that form. The tiny build's counts are small, so a copy of its bundle gets the counts of a
large corpus in its records (as a build of one would write them) before documents are rendered
from it."""

import json
import re
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from gemeingut.audit.report_markdown import markdown
from gemeingut.errors import VerifyError
from gemeingut.release.card import render_card
from gemeingut.release.layout import CARD, RELEASE_INFO
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.openness.ai_act import training_summary
from gemeingut.release.openness.derived import write_derived
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.rating import rate
from gemeingut.release.technical_report import render_technical_report
from gemeingut.release.verify import verify_bundle

_NAMES = {"seed", "step", "num_fewshot", "ngram", "version"}  # names, not amounts
_RECORDS = (
    "training-metadata/lineage.json",
    "training-metadata/training.json",
    "training-metadata/evaluation.json",
    "training-metadata/finetune.json",
    "audit/report.json",
)
# What a German document may hold that is no number of its own: code spans, links, the YAML
# header (the Hub reads it), section numbers (1.1), the lm-evaluation-harness version.
_NOT_PROSE = re.compile(
    r"`[^`\n]*`|https?://\S+|\A---\n.*?\n---\n|^#.*$|harness \S+", re.DOTALL | re.MULTILINE
)
_UNGROUPED = re.compile(r"(?<![\w.,-])\d{4,}(?![\w])")  # German: 1.234
_DECIMAL_POINT = re.compile(r"(?<![\w.,-])\d+\.\d+(?:\.\d+)*(?![\w])")  # German: 0,5
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")


def _grown(value: Any, key: str = "") -> Any:
    """Every count ×1,000 (+ 1,234): what a corpus a thousand times larger records; shares,
    losses and names stay as they are."""
    if isinstance(value, dict):
        return {k: _grown(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_grown(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key not in _NAMES:
        return value * 1000 + 1234
    return value


def _large_records(bundle: Path) -> None:
    for rel in _RECORDS:
        path = bundle / rel
        record = json.loads(path.read_text(encoding="utf-8"))
        if rel.endswith("lineage.json"):
            record = {
                role: {**m, "stats": _grown(m.get("stats", {}))} for role, m in record.items()
            }
        else:
            record = _grown(record)
        path.write_text(json.dumps(record), encoding="utf-8")
    config = bundle / "model" / "config.json"
    values = json.loads(config.read_text(encoding="utf-8"))
    values["max_position_embeddings"] = _grown(values["max_position_embeddings"])
    config.write_text(json.dumps(values), encoding="utf-8")


def _english_numbers(document: str) -> list[str]:
    prose = _NOT_PROSE.sub("", document)
    found = _UNGROUPED.findall(prose)
    found += [n for n in _DECIMAL_POINT.findall(prose) if not _GROUPED.fullmatch(n)]
    return found


def test_every_number_in_the_german_documents_is_written_the_german_way(bundle: Path) -> None:
    _large_records(bundle)
    rating = rate(collect(bundle))
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    documents = {
        CARD: render_card(bundle, rating),
        "TECHNICAL_REPORT.md": render_technical_report(bundle),
        "AI_ACT_SUMMARY.md": training_summary(bundle, collect(bundle)),
        "audit/report.de.md": markdown(report, "de"),
    }
    for name, document in documents.items():
        assert _english_numbers(document) == [], name
    # the tables among them, each a count of a thousand and more
    assert "| Gopher-Qualitätsfilter (`gopher_quality`) | 1.234 |" in documents["AI_ACT_SUMMARY.md"]
    assert "| keine Lizenz angegeben (`licence-missing`) | 2.234 |" in documents[CARD]
    assert "| `CC0-1.0` | 61.234 |" in documents["TECHNICAL_REPORT.md"]
    assert "Kontextlänge 33.234 Tokens" in documents[CARD]
    assert "| Kontextlänge | 33.234 Tokens |" in documents["TECHNICAL_REPORT.md"]


def test_the_ai_act_summary_s_filter_table_is_german_and_rechecked(bundle: Path) -> None:
    """A build whose quality filter excluded 1,234 documents: the table says 1.234, `verify`
    renders it again alike, and names the number edited in the German form."""
    lineage = bundle / "training-metadata" / "lineage.json"
    record = json.loads(lineage.read_text(encoding="utf-8"))
    record["dataset"]["stats"]["blocks"]["gopher_quality"]["excluded"] = 1234
    lineage.write_text(json.dumps(record, indent=2), encoding="utf-8")
    _release_documents(bundle)
    summary = bundle / "AI_ACT_SUMMARY.md"
    row = "| Gopher-Qualitätsfilter (`gopher_quality`) | 1.234 |"
    assert row in summary.read_text(encoding="utf-8")
    assert "AI_ACT_SUMMARY.md" not in _problems(bundle)
    summary.write_text(
        summary.read_text(encoding="utf-8").replace(row, row.replace("1.234", "1.243")), "utf-8"
    )
    write_manifest(bundle)
    assert "AI_ACT_SUMMARY.md weicht von dem ab" in _problems(bundle)


def test_the_card_s_split_table_is_german_and_recounted_from_the_shards(bundle: Path) -> None:
    texts = pq.read_table(bundle / "training-data" / "train-00000.parquet", columns=["text"])
    documents = texts.num_rows
    characters = pc.sum(pc.utf8_length(texts.column("text"))).as_py()
    assert characters >= 1000  # a number German writes with a group
    german = f"{characters:,}".replace(",", ".")
    card = (bundle / CARD).read_text(encoding="utf-8")
    row = f"| train | {documents} | {german} |"
    assert row in card
    (bundle / CARD).write_text(card.replace(row, f"| train | {documents} | {german}1 |"), "utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"Zeile train der Split-Tabelle ist nicht, was"):
        verify_bundle(bundle)


@pytest.mark.parametrize(
    ("language", "parts"),
    [
        (
            "de",
            [
                "- Fähigkeiten: gemeingut tasks (CC0-1.0)",
                "- Verzerrungen (Bias): gemeingut bias/de (CC0-1.0)",
                "- Memorisierung und Datenschutz",
                "- Red Team: gemeingut redteam (CC0-1.0)",
            ],
        ),
        (
            "en",
            [
                "- Capability: gemeingut tasks (CC0-1.0)",
                "- Bias: gemeingut bias/de (CC0-1.0)",
                "- Memorisation and privacy",
                "- Red team: gemeingut redteam (CC0-1.0)",
            ],
        ),
    ],
)
def test_the_technical_report_names_the_audit_s_parts_in_its_language(
    bundle: Path, language: str, parts: list[str]
) -> None:
    info = json.loads((bundle / RELEASE_INFO).read_text(encoding="utf-8"))
    (bundle / RELEASE_INFO).write_text(json.dumps(info | {"report_language": language}), "utf-8")
    report = render_technical_report(bundle)
    start = report.index("\n- ", report.index("`audit/`"))
    assert report[start + 1 :].split("\n\n")[0].splitlines() == parts
    assert "bias, memorisation" not in report


def test_the_audit_report_writes_its_counts_the_german_way(bundle: Path) -> None:
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    report["memorisation"]["eligible_documents"] = 6636
    german = markdown(report, "de")
    assert "(von 6.636 mit mindestens" in german
    assert (
        "- Prüfungen: Fähigkeiten, Verzerrungen (Bias), Memorisierung und Datenschutz, " in german
    )
    assert "(of 6,636 with at least" in markdown(report, "en")


def _release_documents(bundle: Path) -> None:
    """The documents rendered from the records as `release` renders them, MANIFEST re-hashed."""
    (bundle / "TECHNICAL_REPORT.md").write_text(render_technical_report(bundle), "utf-8")
    rating = rate(collect(bundle))
    (bundle / CARD).write_text(render_card(bundle, rating), encoding="utf-8")
    write_derived(bundle, collect(bundle), rating)
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)


def _problems(bundle: Path) -> str:
    try:
        verify_bundle(bundle)
    except VerifyError as failed:
        return str(failed)
    return ""
