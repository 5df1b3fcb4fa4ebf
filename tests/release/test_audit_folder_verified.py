"""An audit folder with its MANIFEST verifies, signed or not, and an edited figure fails it
even with the MANIFEST rewritten. Needs /tmp/s15/auditverify-verify_audit.py.patch
(`audit_problems(..., alone=True)`)."""

import json
from pathlib import Path

import pytest

from gemeingut.release.audit_folder import write_audit_manifest
from gemeingut.release.manifest import MANIFEST, write_manifest
from gemeingut.release.verify import BundleFailed, verify_bundle
from tests.release.audit_folders import audit_copy, invoke


@pytest.fixture
def audit_folder(tiny_build, tmp_path: Path) -> Path:
    return audit_copy(tiny_build, tmp_path)


def test_an_audit_folder_with_its_manifest_verifies(audit_folder: Path) -> None:
    files = write_audit_manifest(audit_folder)
    checked = verify_bundle(audit_folder)
    assert checked.files == files == len((audit_folder / MANIFEST).read_text().splitlines())


def test_an_edited_figure_with_its_manifest_rewritten_fails(audit_folder: Path) -> None:
    write_audit_manifest(audit_folder)
    report = json.loads((audit_folder / "report.json").read_text("utf-8"))
    categories = report["bias"]["categories"]
    categories[next(iter(categories))]["prefers_stereotype"]["value"] = 0.123
    (audit_folder / "report.json").write_text(json.dumps(report), "utf-8")
    write_manifest(audit_folder)  # whoever edits a figure can re-hash the folder too
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(audit_folder)
    said = str(failed.value.message)
    assert "report.json" in said and "prefers_stereotype" in said and "logs/bias.jsonl" in said
    assert "audit/" not in said  # the files as the folder holds them


def test_sign_and_verify_with_the_key(audit_folder: Path, keys: Path) -> None:
    write_audit_manifest(audit_folder)
    signed = invoke("sign", audit_folder, "--key", keys / "publisher.key")
    assert signed.exit_code == 0, signed.output
    checked = invoke("verify", audit_folder, "--key", keys / "publisher.pub")
    assert checked.exit_code == 0, checked.output
    (audit_folder / "report.de.md").write_text("geändert\n", "utf-8")
    failed = invoke("verify", audit_folder, "--key", keys / "publisher.pub")
    assert failed.exit_code == 1, failed.output
    assert "report.de.md" in failed.output


def test_signing_an_older_audit_folder_writes_its_manifest(audit_folder: Path, keys: Path) -> None:
    signed = invoke("sign", audit_folder, "--key", keys / "publisher.key")
    assert signed.exit_code == 0, signed.output
    assert (audit_folder / MANIFEST).is_file()
    assert invoke("verify", audit_folder, "--key", keys / "publisher.pub").exit_code == 0
