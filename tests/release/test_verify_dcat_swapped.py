"""The DCAT-AP.de file takes part in the check that data files were swapped: two shards
swapped behind a MANIFEST and every JSON record rewritten to match, with dcat.ttl alone left
as it was, are named as swapped by the DCAT file, and its checksums that no longer match are
named with the distribution that gives them, the sha256 it gives and the one found. `verify
--json` names dcat.ttl as the file to look at (its statement is what differs), with the
distribution and the shard it is about."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.cli import app
from gemeingut.hashing import sha256_file
from gemeingut.release.manifest import write_manifest
from tests.release.test_verify import published  # noqa: F401  (a fixture)
from tests.release.test_verify_tampered_plainly import _problem_lines, _verify, runner


def _swap_behind_every_json_record(bundle: Path, first: Path, second: Path) -> tuple[str, str]:
    """`first` and `second` swapped, their sha256 swapped in every JSON record and the
    MANIFEST rewritten: only dcat.ttl still says which bytes are which. Returns the sha256
    recorded for them before."""
    was = sha256_file(first), sha256_file(second)
    held = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(held)
    for record in bundle.rglob("*.json"):
        text = record.read_text(encoding="utf-8")
        if was[0] in text or was[1] in text:
            text = text.replace(was[0], "\0").replace(was[1], was[0]).replace("\0", was[1])
            record.write_text(text, encoding="utf-8")
    write_manifest(bundle)
    return was


def test_shards_swapped_behind_every_json_record_are_named_by_dcat(
    published: Path,  # noqa: F811  (the fixture imported above)
) -> None:
    data = published / "training-data"
    train, validation = data / "train-00000.parquet", data / "validation-00000.parquet"
    recorded = _swap_behind_every_json_record(published, train, validation)
    code, said = _verify(published)
    lines = _problem_lines(said)
    assert code == 1, said
    assert lines[0] == (
        "– training-data/train-00000.parquet und training-data/validation-00000.parquet sind "
        "vertauscht: jede enthält, was für die andere verzeichnet ist (in "
        "training-data/dcat.ttl)"
    ), said
    assert (
        f"– training-data/dcat.ttl: distribution-train gibt train-00000.parquet den sha256 "
        f"{recorded[0][:12]}…, aber training-data/train-00000.parquet hat {recorded[1][:12]}…"
    ) in lines, said
    assert "croissant.json gibt" not in said, said  # the records rewritten agree
    record = json.loads(runner.invoke(app, ["verify", str(published), "--json"]).stdout)
    stated = [
        p for p in record["problems"] if "gives train-00000.parquet the sha256" in p["detail"]
    ]
    assert [(p["file"], p["part"], p["about"], p["kind"]) for p in stated] == [
        (
            "training-data/dcat.ttl",
            "distribution-train",
            "training-data/train-00000.parquet",
            "claim",
        )
    ], record["problems"]


def test_a_swap_every_record_names_lists_dcat_among_them(
    published: Path,  # noqa: F811  (the fixture imported above)
) -> None:
    data = published / "training-data"
    train, validation = data / "train-00000.parquet", data / "validation-00000.parquet"
    held = train.read_bytes()
    train.write_bytes(validation.read_bytes())
    validation.write_bytes(held)
    write_manifest(published)
    code, said = _verify(published)
    first = _problem_lines(said)[0]
    assert code == 1 and "sind vertauscht" in first, said
    assert "training-data/croissant.json, training-data/dcat.ttl, " in first, said
