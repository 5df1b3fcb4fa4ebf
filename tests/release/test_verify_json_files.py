"""`verify --json` on a failing bundle counts the files it checked against the MANIFEST, as
on a passing one: a script reads a number, never null."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.release.manifest import MANIFEST, read_manifest
from tests.test_cli import invoke


def _record(bundle: Path) -> dict:
    result = invoke("verify", bundle, "--json")
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def test_a_tampered_bundle_counts_the_files_it_checked(bundle: Path) -> None:
    listed = len(read_manifest(bundle))
    assert _record(bundle)["files"] == listed  # passing: every file the MANIFEST lists
    (bundle / "NOTICE").write_text(
        "geändert\n", encoding="utf-8"
    )  # not the card: its claims follow
    record = _record(bundle)
    assert record["ok"] is False
    assert record["files"] == listed
    assert [p["kind"] for p in record["problems"]] == ["changed"]


def test_a_bundle_without_a_readable_manifest_checked_no_file(bundle: Path) -> None:
    (bundle / MANIFEST).write_text("kein Manifest\n", encoding="utf-8")
    record = _record(bundle)
    assert record["ok"] is False and record["files"] == 0
