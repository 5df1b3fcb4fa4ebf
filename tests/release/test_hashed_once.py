"""A file is hashed once per process, and again whenever it may have changed."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from gemeingut.hashing import sha256_file
from gemeingut.release import manifest
from gemeingut.release.manifest import hash_files
from gemeingut.release.verify import verify_bundle


def test_a_file_rewritten_with_its_size_and_time_kept_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest, "SETTLED_NS", 0)  # remembered at once: the change time tells
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"a" * 4096)
    first = hash_files(tmp_path, ["model.safetensors"])["model.safetensors"]
    stamp = weights.stat()
    weights.write_bytes(b"b" * 4096)  # same size; the modification time is set back below
    os.utime(weights, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    again = hash_files(tmp_path, ["model.safetensors"])["model.safetensors"]
    assert first != again
    assert again == sha256_file(weights)


def test_a_file_changed_a_moment_ago_is_never_remembered(tmp_path: Path) -> None:
    """Two writes within one tick of the file system's clock leave every time as it was."""
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"a" * 4096)
    hash_files(tmp_path, ["model.safetensors"])
    assert manifest._identity(weights) not in manifest._HASHED


def test_verify_reads_each_file_of_the_bundle_once(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MANIFEST check and the documents verify draws again (SPDX, ML-BOM, AI Act
    summary) ask for the same weights: for a model of many GB each read costs minutes."""
    manifest._HASHED.clear()  # the bundle's build hashed its files in this process already
    monkeypatch.setattr(manifest, "SETTLED_NS", 0)  # the bundle was written a moment ago
    reads: Counter[str] = Counter()

    def counted(path: Path) -> str:
        reads[path.relative_to(bundle).as_posix()] += 1
        return sha256_file(path)

    monkeypatch.setattr(manifest, "sha256_file", counted)
    verify_bundle(bundle)
    assert reads, "verify hashed nothing through the MANIFEST check"
    assert max(reads.values()) == 1, reads.most_common(3)
