"""A shard damaged after release, its MANIFEST line re-hashed so that only reading it finds
the damage, is one problem named in German with its path in the bundle and what to do (exit 1):
never pyarrow's English message, a path of this machine, a traceback, nor the same shard twice.
And `verify --rerun --json` carries what the text output says of the audit's device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.audit.subject import iter_documents
from gemeingut.errors import InputError
from gemeingut.release.manifest import write_manifest
from tests.release.test_rerun_device import REPORT, _recorded_on
from tests.test_cli import invoke

TRAIN = "training-data/train-00000.parquet"
TEST = "test-data/test-00000.parquet"
WINDOWS = "training-metadata/data_order/windows.parquet"
EXCLUSIONS = "training-data/excluded/exclusions.parquet"
PARQUET_WORDS = ("Parquet magic", "ZSTD", "thrift", "ArrowInvalid", "OSError", "corrupt")


def _damaged(bundle: Path, rel: str, how: str) -> None:
    """Cut the shard in half, or overwrite 16 bytes of its pages (footer intact)."""
    shard = bundle / rel
    data = bytearray(shard.read_bytes())
    if how == "cut":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 3 : len(data) // 3 + 16] = b"\xff" * 16
    shard.write_bytes(bytes(data))
    write_manifest(bundle)  # only reading the shard can find it now


@pytest.mark.parametrize(
    ("rel", "how"),
    [(TRAIN, "cut"), (TRAIN, "pages"), (TEST, "cut"), (WINDOWS, "cut"), (EXCLUSIONS, "cut")],
)
def test_a_damaged_shard_is_named_once_in_german_with_its_bundle_path(
    bundle: Path, rel: str, how: str
) -> None:
    _damaged(bundle, rel, how)
    said = invoke("verify", bundle)
    assert said.exit_code == 1, said.output
    named = (
        f"{rel} ist keine lesbare Parquet-Datei: sie ist beschädigt oder abgeschnitten; "
        "beschaffen Sie eine unveränderte Kopie"
    )
    flat = " ".join(said.output.split())
    assert flat.count(named) == 1, said.output
    problems = [line for line in said.output.splitlines() if line.lstrip().startswith("–")]
    assert not any(str(bundle) in line for line in problems), problems
    assert not any(word in said.output for word in PARQUET_WORDS), said.output
    assert "Traceback" not in said.output

    result = invoke("verify", bundle, "--json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    shard = [p for p in problems if p["detail"].startswith(f"{rel} is not a readable Parquet")]
    assert len(shard) == 1 and shard[0]["file"] == rel, problems
    assert not any(str(bundle) in p["detail"] for p in problems), problems
    assert not any(w in p["detail"] for p in problems for w in PARQUET_WORDS), problems


def test_the_audit_names_a_shard_damaged_in_its_pages_in_words(bundle: Path) -> None:
    """The footer reads, a page does not: the error comes while the documents are read."""
    _damaged(bundle, TRAIN, "pages")
    with pytest.raises(InputError) as caught:
        list(iter_documents((bundle / TRAIN,)))
    said = str(caught.value.message)
    assert said.endswith("ist keine lesbare Parquet-Datei: sie ist beschädigt oder abgeschnitten; "
                         "beschaffen Sie eine unveränderte Kopie"), said  # fmt: skip
    assert not any(word in said for word in PARQUET_WORDS), said


def test_verify_rerun_json_names_the_devices_and_says_the_note(bundle: Path) -> None:
    _recorded_on(bundle, "cuda")
    precision = json.loads((bundle / REPORT).read_text("utf-8"))["model"]["precision"]
    result = invoke("verify", bundle, "--rerun", "2", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    device = json.loads(result.stdout)["rerun"]["device"]
    assert device["audit"] == "cuda" and device["rerun"] == "cpu" and device["same"] is False
    assert device["precision"] == precision
    assert device["note"] == (
        f"das Audit rechnete auf cuda ({precision}), diese Wiederholung auf der CPU: die "
        "Toleranz wurde CPU gegen CPU gemessen, ein Unterschied kann also vom Gerät kommen"
    )
    assert device["note_en"].startswith(f"the audit scored on cuda ({precision}), this re-run")


def test_verify_rerun_json_of_an_audit_on_the_cpu_has_no_note(bundle: Path) -> None:
    result = invoke("verify", bundle, "--rerun", "2", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    device = json.loads(result.stdout)["rerun"]["device"]
    assert device == {**device, "audit": "cpu", "rerun": "cpu", "same": True, "note": None}


def test_a_shard_without_its_licence_column_names_the_column(bundle: Path) -> None:
    """pyarrow leaves a column it does not find out of what it reads: the reader says so."""
    import pyarrow.parquet as pq

    shard = bundle / TRAIN
    pq.write_table(pq.read_table(shard).drop_columns(["license"]), shard)
    write_manifest(bundle)
    said = " ".join(invoke("verify", bundle).output.split())
    assert f"{TRAIN}: die Spalte license fehlt; beschaffen Sie eine unveränderte Kopie" in said


def test_a_windows_table_with_a_window_less_is_named(bundle: Path) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(bundle / WINDOWS)
    pq.write_table(table.slice(0, table.num_rows - 1), bundle / WINDOWS)
    write_manifest(bundle)
    said = " ".join(invoke("verify", bundle).output.split())
    assert f"{WINDOWS} enthält {table.num_rows - 1} Fenster" in said, said
