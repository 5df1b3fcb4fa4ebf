"""A bundle's GGUF links its base's Hub id unless the publisher stated that id at release
(`--base-hub-id`, kept in release.json) and no cached copy of it was the base: a bundle older
than the revision's key (2026-12-07) named its cached base by Hub id without one, and its GGUF,
as `verify` recomputes it, keeps the URL it was exported with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.model.export.metadata import _general_metadata
from gemeingut.release.layout import FINETUNE_RECORD, MODEL, RELEASE_INFO

HUB_ID = "example-org/winzling-32"
URL = "general.base_model.0.repo_url"


def _bundle(tmp_path: Path, revision: str | None, stated: bool) -> Path:
    base = {"name": "winzling-32", "path": HUB_ID, "license": "Apache-2.0"}
    if revision:
        base["revision"] = revision
    record = tmp_path / FINETUNE_RECORD
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"base_model": base}), encoding="utf-8")
    release = {"name": "ft"} | ({"base_hub_id": HUB_ID} if stated else {})
    (tmp_path / RELEASE_INFO).write_text(json.dumps(release), encoding="utf-8")
    (tmp_path / MODEL).mkdir()
    return record


@pytest.mark.parametrize(
    ("revision", "stated", "linked"),
    [
        (None, False, True),  # an older bundle: the Hub id was read from the cache
        ("a" * 40, False, True),  # read from the cache, revision recorded
        ("a" * 40, True, True),  # stated, and the base was the cache's copy of that id
        (None, True, False),  # stated, nothing checked: named, not linked
    ],
)
def test_only_an_unchecked_stated_hub_id_loses_its_url(
    tmp_path: Path, revision: str | None, stated: bool, linked: bool
) -> None:
    record = _bundle(tmp_path, revision, stated)
    meta = _general_metadata(tmp_path / MODEL, "ft", "Apache-2.0", record, names_only=True)
    assert meta["general.base_model.0.organization"][0] == "Example Org"
    assert (URL in meta) is linked
    if linked:
        assert meta[URL][0] == f"https://huggingface.co/{HUB_ID}"
