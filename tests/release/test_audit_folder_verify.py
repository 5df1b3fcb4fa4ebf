"""An audit's output folder gets its MANIFEST only while it holds what the audit recorded;
`verify` says how a folder without one gets it, and that --rerun needs a bundle's model."""

from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.release.audit_folder import write_audit_manifest
from gemeingut.release.manifest import MANIFEST
from tests.release.audit_folders import audit_copy, invoke


@pytest.fixture
def audit_folder(tiny_build, tmp_path: Path) -> Path:
    return audit_copy(tiny_build, tmp_path)


def test_a_folder_changed_after_the_audit_gets_no_manifest(audit_folder: Path) -> None:
    (audit_folder / "logs" / "bias.jsonl").write_text("{}\n", "utf-8")
    with pytest.raises(InputError) as refused:
        write_audit_manifest(audit_folder)
    assert "logs/bias.jsonl" in str(refused.value.message)
    assert not (audit_folder / MANIFEST).exists()


def test_verify_names_a_missing_manifest_of_an_audit_folder(audit_folder: Path) -> None:
    done = invoke("verify", audit_folder)
    assert done.exit_code == 2
    assert f"gemeingut sign {audit_folder} --key" in done.output


def test_rerun_is_refused_for_an_audit_folder(audit_folder: Path) -> None:
    write_audit_manifest(audit_folder)
    done = invoke("verify", "--rerun", "3", audit_folder)
    assert done.exit_code == 2
    assert "--rerun" in done.output and "audit run" in done.output  # how it is scored again
