"""The audit records the device and precision it scored on (`report.json` → model), and
`verify --rerun`, which re-scores on the CPU, says when the audit ran elsewhere: the tolerance
was measured CPU against CPU, so a larger difference may come from the device."""

import json
from pathlib import Path

import pytest

from gemeingut.audit.report_markdown import markdown, report_file
from gemeingut.audit.report_text import LANGUAGES
from gemeingut.i18n import text
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.rerun import rerun_bias_sample
from gemeingut.release.verify import BundleFailed
from tests.test_cli import invoke

REPORT = Path("audit") / "report.json"
LINEAGE = Path("training-metadata") / "lineage.json"


def _recorded_on(bundle: Path, device: str | None) -> None:
    """The bundle as an audit on `device` would have written it (report.json, its Markdown and
    the audit's lineage), re-hashed and unsigned."""
    report = json.loads((bundle / REPORT).read_text("utf-8"))
    lineage = json.loads((bundle / LINEAGE).read_text("utf-8"))
    for model in (report["model"], lineage["audit"]["stats"]["model"]):
        if device is None:
            model.pop("device")
        else:
            model["device"] = device
    (bundle / REPORT).write_text(json.dumps(report, indent=2), "utf-8")
    (bundle / LINEAGE).write_text(json.dumps(lineage, indent=2), "utf-8")
    for language in LANGUAGES:
        (bundle / "audit" / report_file(language)).write_text(markdown(report, language), "utf-8")
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)


def test_the_audit_records_its_device_and_precision(bundle: Path) -> None:
    model = json.loads((bundle / REPORT).read_text("utf-8"))["model"]
    assert model["device"] == "cpu" and model["precision"] in ("fp32", "bf16")
    assert rerun_bias_sample(bundle, 2, seed=1).device_note is None  # CPU against CPU


def test_verify_rerun_says_when_the_audit_ran_on_another_device(bundle: Path) -> None:
    _recorded_on(bundle, "cuda")
    precision = json.loads((bundle / REPORT).read_text("utf-8"))["model"]["precision"]
    note = rerun_bias_sample(bundle, 2, seed=1).device_note
    assert note is not None
    assert text(note, "de") == (
        f"das Audit rechnete auf cuda ({precision}), diese Wiederholung auf der CPU: die "
        "Toleranz wurde CPU gegen CPU gemessen, ein Unterschied kann also vom Gerät kommen"
    )
    shown = invoke("verify", str(bundle), "--rerun", "3", "--seed", "12345")
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert f"das Audit rechnete auf cuda ({precision}), diese Wiederholung auf der CPU" in said


def test_a_failing_rerun_names_the_device_as_a_cause(bundle: Path) -> None:
    """A log that the CPU re-run disagrees with (here: shifted beyond the tolerance) fails the
    bundle; the hint names the device the audit ran on first, then a tampered log."""
    from gemeingut.cli.release import _rerun  # what `verify --rerun` runs after the checks

    _recorded_on(bundle, "cuda")
    log = bundle / "audit" / "logs" / "bias.jsonl"
    records = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    for record in records:
        record["delta"] += 0.2
    log.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    with pytest.raises(BundleFailed) as failed:
        _rerun(bundle, 2, 3, files=411)
    assert failed.value.failure.files == 411  # the files checked before the re-run failed
    hint = text(failed.value.hint, "de")
    assert hint.startswith("das Audit rechnete auf cuda")
    assert hint.endswith(
        "; oder das Auditprotokoll wurde verändert oder stammt nicht von diesem Modell"
    )


def test_a_report_without_a_device_is_said(bundle: Path) -> None:
    _recorded_on(bundle, None)
    note = rerun_bias_sample(bundle, 1, seed=2).device_note
    assert note is not None and text(note, "de").startswith("der Auditbericht nennt kein Gerät")
