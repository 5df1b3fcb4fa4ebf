"""`finetune.json` as a bundle publishes it, and the cache snapshot its base names.

The fine-tuning records its base by the folder it was loaded from, which means nothing on
another machine and may carry a user name. The bundle names the base by its reference instead:
our own model by its artifact id, a snapshot of the Hugging Face cache by its Hub id and the
`revision` (the snapshot's commit) the fine-tune was made from, any other folder by its name.
The revision is what a merged fine-tune has in place of an adapter's `revision`: the weights
the reproducer must get (`reproduce_base.py`) when `main` has moved on since.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.model.base_model import OWN_MODEL
from gemeingut.model.finetune_base_reference import (
    CachedModel,
    base_reference,
    cached_model,
    is_revision,
)
from gemeingut.recipe import is_hub_id

REVISION = "revision"  # the published base's key for its snapshot's commit (as peft's)


def published_record(record: Any) -> Any:
    """`record` (a fine-tune's `finetune.json`) with its base named as published; a record
    that is no object, or names no base folder, as it is (a hand-edited one may hold anything)."""
    base = record.get("base_model") if isinstance(record, dict) else None
    if not isinstance(base, dict) or not isinstance(base.get("path"), str):
        return record
    path = base["path"]
    cached = cached_model(path)
    named = dict(base)
    if base.get("license_source") == OWN_MODEL:
        named["path"] = base.get("fingerprint")
    else:
        named["path"] = _published_base(path, base.get("name", ""))
    if cached is not None:
        named[REVISION] = cached.revision
    return {**record, "base_model": named}


def copy_finetune_record(source: Path, target: Path) -> None:
    """`finetune.json` as published (`published_record`)."""
    record = published_record(json.loads(source.read_text(encoding="utf-8")))
    target.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def without_revision(record: Any) -> Any:
    """`record` without its base's revision, which the fine-tune's own record keeps in the
    folder's name only (`reproduce` compares the two apart from that, and the revision with
    the rebuilt bundle's)."""
    base = record.get("base_model") if isinstance(record, dict) else None
    if not isinstance(base, dict) or REVISION not in base:
        return record
    return {**record, "base_model": {k: v for k, v in base.items() if k != REVISION}}


def published_snapshot(base: Any) -> CachedModel | None:
    """The cache snapshot a published base record names: its Hub id and revision where both
    are given as such, else its folder where that is a snapshot (a bundle older than the
    revision's key kept the folder)."""
    if not isinstance(base, dict) or not isinstance(base.get("path"), str):
        return None
    path, revision = base["path"], base.get(REVISION)
    if is_hub_id(path) and is_revision(revision):
        return CachedModel(path, revision)
    return cached_model(path) if path else None


def _published_base(path: str, name: str) -> str:
    reference = base_reference(path)
    return reference if reference != str(Path(path).resolve()) else name
