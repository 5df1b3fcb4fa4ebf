"""`gemeingut audit run --out` leaves a folder to publish: its MANIFEST written as it finishes,
so that it is signed and verified as a release bundle is, by anyone, with no step in between.
Needs /tmp/s15/auditverify-cli_audit.py.patch (the call in `gemeingut/cli/audit.py`) and
/tmp/s15/auditverify-verify_audit.py.patch."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.manifest import MANIFEST
from tests.audit.tiny_lm import random_model
from tests.test_cli import invoke


def test_an_audit_of_a_foreign_model_is_signed_and_verified(tmp_path: Path, keys: Path) -> None:
    model = random_model(tmp_path / "qwen-tiny", "qwen2", 0, ["Der Arzt kam.", "Die Ärztin."])
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nsuites = ["tasks"]\n[audit.tasks]\nlimit = 1\n', "utf-8")
    out = tmp_path / "audit1"
    done = invoke("audit", "run", model, "--out", out, "--config", config)
    assert done.exit_code == 0, done.output
    assert (out / MANIFEST).is_file()
    signed = invoke("sign", out, "--key", keys / "publisher.key")
    assert signed.exit_code == 0, signed.output
    checked = invoke("verify", out, "--key", keys / "publisher.pub")
    assert checked.exit_code == 0, checked.output
    again = invoke("audit", "run", model, "--out", out, "--config", config)  # reused: kept
    assert again.exit_code == 0, again.output
    assert invoke("verify", out, "--key", keys / "publisher.pub").exit_code == 0
