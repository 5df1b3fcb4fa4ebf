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
from gemeingut.i18n import text, use_language
from gemeingut.release.manifest import write_manifest
from gemeingut.release.signing import create_key, default_key_dir
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_base_release import release_said
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
    assert "darum ebenfalls nicht offen" not in card, card  # A publishes its pretraining's


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
    assert record["problems"][0].startswith("changed: "), record  # the record's words English
    assert record["problems_de"][0] in card and "geändert: " in card, card  # the card's German
    inherited = "die aus seinem Vortraining stammen (Datensätze, Code der Datenaufbereitung,"
    assert inherited in card, card
    with use_language("de"):  # as `release` says it, in the language it runs in
        said = [text(message) for message in release_said(bundle)]
    assert len(said) == 1 and "nicht unversehrt (geändert: training-data/" in said[0], said
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
    assert release_said(bundle) == []


def test_a_s_signature_by_a_key_not_held_is_said(
    released: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed with a key this machine does not hold: B's card says (in German) that A's
    signature was not checked, and `release` says how to have it checked."""
    a = shutil.copytree(released["a"], tmp_path / "a")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    key = create_key("publisher", tmp_path / "elsewhere")
    assert invoke("sign", a / "bundle", "--key", key.private).exit_code == 0
    bundle = release(tmp_path, released["tuned"], "--base", a / "bundle" / "model")
    record = json.loads((bundle / "base-release" / "base-release.json").read_text("utf-8"))
    assert record["signature"] == {"signed": True, "key": None}, record
    card = _said((bundle / "README.md").read_text("utf-8"))
    assert "der Schlüssel des Unterzeichners lag nicht vor, daher nicht geprüft" in card, card
    said = [text(message, "en") for message in release_said(bundle)]
    assert len(said) == 1 and str(default_key_dir()) in said[0], said


def _edited_record(released: dict[str, Path], copy: Path, **changes: object) -> Path:
    """B with its record of A changed, its card and report written again to agree, and its
    MANIFEST rewritten: all an editor of an unsigned bundle can do."""
    from gemeingut.release.openness.finetune_rating import base_paragraph

    bundle = shutil.copytree(released["bundle"], copy)
    said = base_paragraph(bundle, "de")
    path = bundle / "base-release" / "base-release.json"
    path.write_text(json.dumps(json.loads(path.read_text("utf-8")) | changes), encoding="utf-8")
    for name in ("README.md", "TECHNICAL_REPORT.md"):
        document = (bundle / name).read_text("utf-8")
        assert said in document, name
        (bundle / name).write_text(document.replace(said, base_paragraph(bundle, "de")), "utf-8")
    write_manifest(bundle)
    return bundle


def test_a_record_of_a_edited_to_claim_more_fails_verify(
    released: dict[str, Path], tmp_path: Path
) -> None:
    """A signature and an artifact id A lacks fail `verify --base A`; a name A's copied
    release.json does not declare fails `verify` alone."""
    forged = {"signature": {"signed": True, "key": "SHA256:" + "ab" * 32}, "artifact": "rel-x"}
    claimed = _edited_record(released, tmp_path / "claimed", **forged)
    verify_bundle(claimed)  # B agrees with itself: only A can tell the claims false
    with pytest.raises(VerifyError) as failed:
        verify_bundle(claimed, base=released["a"])
    said = " ".join(text(problem, "en") for problem in failed.value.failure.problems)
    assert "records the base's signature as signature valid, key SHA256:abab" in said, said
    assert "records the base's release as rel-x" in said, said
    renamed = _edited_record(released, tmp_path / "renamed", name="Another model")
    refused = invoke("--lang", "en", "verify", renamed)
    assert refused.exit_code == 1, refused.output
    assert "names the base's release Another model, but its" in _said(refused.output)


def test_an_unreadable_record_of_a_is_said(released: dict[str, Path], tmp_path: Path) -> None:
    bundle = shutil.copytree(released["bundle"], tmp_path / "b")
    (bundle / "base-release" / "base-release.json").write_text('{"intact": true,', "utf-8")
    write_manifest(bundle)
    refused = invoke("--lang", "en", "verify", bundle)
    assert refused.exit_code == 2, refused.output  # a traceback exits 1
    assert "base-release/base-release.json cannot be read" in _said(refused.output)
