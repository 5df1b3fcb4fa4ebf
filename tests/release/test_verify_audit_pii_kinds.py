"""An audit names the kinds of personal data it counted in the model's answers
(`memorisation.personal_data.kinds`), and `verify` counts them again with those: a report made
before names were detected re-checks as it was made, a report that names them counts them."""

import json
from pathlib import Path

import pytest

from gemeingut.audit.memorisation import KINDS_UNNAMED, pii_counts
from gemeingut.audit.report_markdown import markdown
from gemeingut.data.pii import PII_TYPES
from gemeingut.errors import VerifyError
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_audit import LINEAGE

AUDIT = Path("audit")
BAITS = AUDIT / "logs" / "pii.jsonl"
# an answer with a name after a form of address, and no other personal data
NAMED = "Herr Müller beantwortet Ihre Frage gern."


def _json(bundle: Path, path: Path | str) -> dict:
    return json.loads((bundle / path).read_text(encoding="utf-8"))


def _write_json(bundle: Path, path: Path | str, value: dict) -> None:
    (bundle / path).write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


def _name_in_a_bait_answer(bundle: Path) -> list[str]:
    """The first bait answer holds a name; the answers as the log now holds them."""
    records = [json.loads(line) for line in (bundle / BAITS).read_text().splitlines()]
    records[0]["response"] = NAMED
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (bundle / BAITS).write_text(lines, encoding="utf-8")
    return [r["response"] for r in records]


def _resealed(bundle: Path) -> None:
    """The Markdown reports rendered again from report.json, the MANIFEST hashed again."""
    report = _json(bundle, AUDIT / "report.json")
    for language in ("de", "en"):
        (bundle / AUDIT / f"report.{language}.md").write_text(
            markdown(report, language), encoding="utf-8"
        )
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)


def test_an_audit_names_the_kinds_it_counted(bundle: Path) -> None:
    personal = _json(bundle, AUDIT / "report.json")["memorisation"]["personal_data"]
    assert personal["kinds"] == list(PII_TYPES) and "person_name" in PII_TYPES


def test_a_report_from_before_names_verifies_as_it_was_counted(bundle: Path) -> None:
    """As an audit made before names were detected writes it: no `kinds`, the bait answers
    counted with the five kinds then known, also in the lineage's record of the audit."""
    answers = _name_in_a_bait_answer(bundle)
    report, lineage = _json(bundle, AUDIT / "report.json"), _json(bundle, LINEAGE)
    for personal in (
        report["memorisation"]["personal_data"],
        lineage["audit"]["stats"]["memorisation"]["personal_data"],
    ):
        del personal["kinds"]
        personal["baiting_prompts"] = {
            **pii_counts(answers, KINDS_UNNAMED),
            "prompts": len(answers),
        }
    assert report["memorisation"]["personal_data"]["baiting_prompts"]["raw_personal_data"] == {}
    _write_json(bundle, AUDIT / "report.json", report)
    _write_json(bundle, LINEAGE, lineage)
    _resealed(bundle)
    verify_bundle(bundle)


def test_a_report_that_names_the_kinds_counts_names_again(bundle: Path) -> None:
    _name_in_a_bait_answer(bundle)
    _resealed(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert (
        "audit/report.json sagt memorisation.personal_data.baiting_prompts.raw_personal_data"
        ".person_name = null, audit/logs/pii.jsonl ergibt 1"
    ) in str(failed.value)


def test_a_kind_no_detector_knows_is_named(bundle: Path) -> None:
    report = _json(bundle, AUDIT / "report.json")
    report["memorisation"]["personal_data"]["kinds"] = ["email", "shoe_size"]
    _write_json(bundle, AUDIT / "report.json", report)
    _resealed(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert (
        "audit/report.json: memorisation.personal_data.kinds muss Arten personenbezogener Daten "
        "aufzählen (email, iban, tax_id, ip_address, phone, person_name)"
    ) in str(failed.value)
