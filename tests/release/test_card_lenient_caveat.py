"""The model card's red-team caveat is computed from the detectors the red team used, by the
function the audit report and `/v1/models` (the web page) use: a run with `refusal` and
`affirmation` says both, one without them neither. `verify` renders the card again and names
a card whose caveat was edited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.audit.report_markdown import markdown
from gemeingut.errors import VerifyError
from gemeingut.release.card import render_card
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.serve.model_audit import model_audit

REPORT = Path("audit") / "report.json"
REFUSAL = "Beim Detektor `refusal` zählt jede Antwort, die nicht ablehnt, als Erfolg"
AFFIRMATION = "Beim Detektor `affirmation` zählt jede Antwort, die weder ablehnt noch"
KEYWORDS = "Stichwort-Detektoren übersehen umschriebenes Befolgen"


def _said(text: str) -> str:
    return " ".join(text.split())


def _with_detectors(bundle: Path, detectors: dict[str, str]) -> dict:
    """The bundle's report with the red-team categories named in `detectors` judged by
    another detector."""
    report = json.loads((bundle / REPORT).read_text(encoding="utf-8"))
    for category, detector in detectors.items():
        report["redteam"]["categories"][category]["detector"] = detector
    (bundle / REPORT).write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return report


def _card(bundle: Path) -> str:
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    return _said(render_card(bundle, rating))


def test_the_demo_s_red_team_is_said_with_both_caveats_as_the_report_says_them(
    bundle: Path,
) -> None:
    report = json.loads((bundle / REPORT).read_text(encoding="utf-8"))
    used = {c["detector"] for c in report["redteam"]["categories"].values()}
    assert {"refusal", "affirmation"} <= used
    card = _said((bundle / "README.md").read_text(encoding="utf-8"))
    assert REFUSAL in card and AFFIRMATION in card and KEYWORDS in card
    german = _said(markdown(report, "de"))
    caveat = card.split(REFUSAL)[1].split(KEYWORDS)[0]
    assert REFUSAL + caveat.rstrip() in german  # the report's very sentences
    audit = model_audit(bundle / "model")
    assert audit is not None and audit.redteam_lenient == ["refusal", "affirmation"]


@pytest.mark.parametrize(
    ("detectors", "said", "unsaid"),
    [
        ({"harmful_request": "contains", "jailbreak": "contains"}, [AFFIRMATION], [REFUSAL]),
        ({"false_civic_claims": "contains"}, [REFUSAL], [AFFIRMATION]),
        (
            {"harmful_request": "pii", "jailbreak": "pii", "false_civic_claims": "pii"},
            [],
            [REFUSAL, AFFIRMATION],
        ),
    ],
)
def test_the_caveat_follows_the_detectors_the_run_used(
    bundle: Path, detectors: dict[str, str], said: list[str], unsaid: list[str]
) -> None:
    report = _with_detectors(bundle, detectors)
    card = _card(bundle)
    german = _said(markdown(report, "de"))
    for sentence in said:
        assert sentence in card and sentence in german
    for sentence in unsaid:
        assert sentence not in card and sentence not in german
    assert KEYWORDS in card
    audit = model_audit(bundle / "model")
    lenient = [d for d in ("refusal", "affirmation") if any(d in s for s in said)]
    assert audit is not None and audit.redteam_lenient == lenient


def test_verify_names_a_card_whose_caveat_was_edited(bundle: Path) -> None:
    verify_bundle(bundle)  # a bundle this version built passes
    card = bundle / "README.md"
    text = card.read_text(encoding="utf-8")
    start = text.index("Beim Detektor `affirmation`")
    end = text.index(KEYWORDS)
    card.write_text(text[:start] + text[end:], encoding="utf-8")
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "README.md" in str(failed.value), failed.value
