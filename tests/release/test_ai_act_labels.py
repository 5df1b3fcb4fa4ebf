"""The AI Act summary names why documents were excluded and which filters ran by what they mean,
in the summary's language, the code beside it (`gemeingut/data/publish/reasons.py`): a reader
of `AI_ACT_SUMMARY.md` is not expected to know `licence-missing` or `language_filter`."""

import json
import re
import shutil
from pathlib import Path

from gemeingut.release.openness.ai_act import training_summary
from gemeingut.release.openness.evidence import collect
from gemeingut.release.verify import verify_bundle
from tests.release.test_verify_audit import _unsigned


def _sections(summary: str) -> tuple[str, str]:
    """The exclusions (3.1, 3.2) and the filter table (3.3)."""
    first, rest = summary.split("### 3.1 ")[1].split("### 3.3 ")
    return first, rest


def test_exclusion_reasons_and_filters_are_named_by_their_meaning(bundle: Path) -> None:
    stats = json.loads((bundle / "training-data" / "stats.json").read_text("utf-8"))
    refused = {r: n for r, n in stats["excluded_by_reason"].items() if r.startswith("licence-")}
    assert {"licence-missing", "licence-non-commercial"} <= set(refused)
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text("utf-8")
    exclusions, filters = _sections(summary)
    missing = f"{refused['licence-missing']} × keine Lizenz angegeben (`licence-missing`)"
    assert missing in exclusions
    assert "die Lizenz verbietet kommerzielle Nutzung (`licence-non-commercial`)" in exclusions
    assert not re.search(r"× licence-", exclusions)  # no bare code
    assert "| Sprachfilter (`language_filter`) |" in filters
    assert "| Gopher-Qualitätsfilter (`gopher_quality`) |" in filters
    assert not re.search(r"^\| [a-z_]+ \|", filters, re.MULTILINE)
    _unsigned(bundle, lambda: None)
    verify_bundle(bundle)  # the summary rendered again is the one shipped


def test_an_english_summary_names_them_in_english(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "english"
    shutil.copytree(bundle, copy)
    info = json.loads((copy / "release.json").read_text("utf-8"))
    (copy / "release.json").write_text(json.dumps(info | {"report_language": "en"}))
    exclusions, filters = _sections(training_summary(copy, collect(copy)))
    assert "× no licence given (`licence-missing`)" in exclusions
    assert "| language filter (`language_filter`) |" in filters
    assert "| Gopher quality filter (`gopher_quality`) |" in filters
