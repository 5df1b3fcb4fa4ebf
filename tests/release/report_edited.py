"""A bundle's technical report edited after release, its MANIFEST re-hashed without a
signature, as a forger would: `verify` must name the report, which the bundle's files render
otherwise."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.openness.evidence import TECHNICAL_REPORT
from tests.test_cli import invoke


def verify_names_the_edited_report(bundle: Path, said: str, edited: str) -> None:
    """The report with its one `said` replaced by `edited`, re-hashed; verify refuses it."""
    path = bundle / TECHNICAL_REPORT
    report = path.read_text(encoding="utf-8")
    assert report.count(said) == 1, said
    path.write_text(report.replace(said, edited), encoding="utf-8")
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)
    result = invoke("verify", bundle)
    shown = " ".join(result.output.split())
    assert result.exit_code == 1, shown
    assert f"{TECHNICAL_REPORT} weicht von dem ab, das die Dateien ergeben" in shown, shown
