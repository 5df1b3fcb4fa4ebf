"""A fine-tune (B) of one of our releases (A: the tiny build's, which publishes its own
pretraining) is rated with what A's bundle evidences, where A's bundle is intact: B's card
names A by name and MANIFEST digest, and `verify` re-checks B's record of A (and compares it
with A, given as --base). A's bundle altered: B's release says so and rates as withheld."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import write_manifest
from gemeingut.release.signing import create_key, default_key_dir
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import fine_tune, rating, release
from tests.test_cli import invoke

WITHHELD = "withheld by the base model"


@pytest.fixture(scope="module")
def released(tiny_build: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """B fine-tuned (merged) from a copy of A's release folder, and released."""
    root = tmp_path_factory.mktemp("from-release")
    a = shutil.copytree(Path(tiny_build["release"]["path"]), root / "a")
    tuned = fine_tune(root, a, "--merge", "--license", "Apache-2.0")
    return {"root": root, "a": a, "tuned": tuned, "bundle": release(root, tuned)}


def _said(output: str) -> str:
    return " ".join(output.split())


def _components(bundle: Path) -> dict[str, dict]:
    return {row["name"]: row for row in rating(bundle)["mof"]["components"]}


def test_b_is_rated_with_what_a_s_intact_bundle_publishes(released: dict[str, Path]) -> None:
    bundle, a = released["bundle"], released["a"] / "bundle"
    record = json.loads((bundle / "base-release" / "base-release.json").read_text("utf-8"))
    a_rating = json.loads((a / "openness.json").read_text("utf-8"))
    assert (
        record["intact"] is True
        and record["name"] == json.loads((a / "release.json").read_text("utf-8"))["name"]
    )
    rows = _components(bundle)
    a_rows = {row["name"]: row for row in a_rating["mof"]["components"]}
    for name in ("Datasets", "Training code", "Model metadata"):  # shared with A's pretraining
        assert a_rows[name]["present"] and rows[name]["present"], rows[name]
        assert f"base-release/MANIFEST: {a_rows[name]['evidence'][0]}" in rows[name]["evidence"]
    checks = {c["id"]: c for c in rating(bundle)["checks"]}
    assert WITHHELD not in checks["artifacts.five"]["detail"], checks["artifacts.five"]
    card = _said((bundle / "README.md").read_text("utf-8"))
    digest = record["manifest"].removeprefix("sha256:")
    assert record["name"] in card and digest in card and record["artifact"] in card, card


def test_a_s_altered_bundle_is_said_and_b_rated_as_withheld(
    released: dict[str, Path], tmp_path: Path
) -> None:
    a = shutil.copytree(released["a"], tmp_path / "a")
    shard = sorted((a / "bundle" / "training-data").rglob("*.*"))[0]
    shard.write_bytes(shard.read_bytes() + b"\n")  # A's MANIFEST not written again
    bundle = release(tmp_path, released["tuned"], "--base", a / "bundle" / "model")
    record = json.loads((bundle / "base-release" / "base-release.json").read_text("utf-8"))
    assert record["intact"] is False and record["problems"], record
    checks = {c["id"]: c for c in rating(bundle)["checks"]}
    assert WITHHELD in checks["artifacts.five"]["detail"], checks["artifacts.five"]
    card = _said((bundle / "README.md").read_text("utf-8"))
    assert record["problems"][0] in card, card  # the card is German, A's problems as recorded
    assert invoke("verify", bundle).exit_code == 0


def test_verify_re_checks_b_s_record_of_a(released: dict[str, Path], tmp_path: Path) -> None:
    bundle = released["bundle"]
    checked = verify_bundle(bundle, base=released["a"])
    assert any("as recorded from its release" in text(note, "en") for note in checked.notes)
    copy = shutil.copytree(bundle, tmp_path / "b")
    kept = copy / "base-release" / "openness.json"
    edited = json.loads(kept.read_text("utf-8")) | {"open": True}
    kept.write_text(json.dumps(edited), encoding="utf-8")
    write_manifest(copy)  # B's MANIFEST agrees, B's record of A does not
    refused = invoke("--lang", "en", "verify", copy)
    assert refused.exit_code == 1, refused.output
    assert "base-release/openness.json is not the base release's" in _said(refused.output)
    altered = shutil.copytree(released["a"], tmp_path / "a")
    shard = sorted((altered / "bundle" / "training-data").rglob("*.*"))[0]
    shard.write_bytes(shard.read_bytes() + b"\n")
    with pytest.raises(VerifyError) as failed:  # --base: A itself compared with B's record
        verify_bundle(bundle, base=altered)
    said = [text(problem, "en") for problem in failed.value.failure.problems]
    assert any("is not intact" in problem for problem in said), said


def test_a_s_signature_is_checked_with_the_key_it_names(
    released: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed, its key among this machine's (`keys list`): B's record names the key its
    signature was checked against, and B's card says so."""
    a = shutil.copytree(released["a"], tmp_path / "a")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    key = create_key("publisher", default_key_dir())
    assert invoke("sign", a / "bundle", "--key", key.private).exit_code == 0
    bundle = release(tmp_path, released["tuned"], "--base", a / "bundle" / "model")
    record = json.loads((bundle / "base-release" / "base-release.json").read_text("utf-8"))
    assert record["signature"] == {"signed": True, "key": key.fingerprint}, record
    assert key.fingerprint in (bundle / "README.md").read_text("utf-8")
