"""The base a fine-tune is rebuilt on, under the name it was fine-tuned under.

A fine-tune names a base from the Hugging Face cache by its Hub id and the revision it was
trained on (the adapter's `revision`, the record's `base_model` `revision` and `name`, the
audit's lm_eval command, every document that names the base), a plain folder by the folder's
own name. Who
reproduces it may hold the same files in a plain folder (copied out of a cache, downloaded
elsewhere). `reproduce` has checked by then that they are the files the fine-tune was made
from (their fingerprint, `base-model/files.json`), so the recorded revision names these very
weights: the rebuild gets them as that snapshot, in a cache of the rebuild's own (linked where
the file system allows, else copied), and names them as the fine-tune did. A folder of other
files is refused before this (another revision's weights are a difference); a base the bundle
names by no revision is given as it is.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.finetune_base_reference import (
    REPO_FOLDER,
    SEPARATOR,
    CachedModel,
    cached_model,
    is_revision,
)
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.recipe import is_hub_id
from gemeingut.release.finetune_record import published_snapshot
from gemeingut.release.layout import MODEL
from gemeingut.release.openness.finetune_rating import base_record

SNAPSHOTS = "snapshots"


def recorded_snapshot(bundle: Path) -> CachedModel | None:
    """The cache snapshot the bundle's fine-tune was made from, where it names one: the
    adapter's base and revision, else the record's (a merged fine-tune has no adapter)."""
    config_file = f"{MODEL}/{ADAPTER_CONFIG}"
    hint = _("restore {file} from the release", file=config_file)
    config = read_object(bundle / config_file, hint) or {}
    name, revision = config.get("base_model_name_or_path"), config.get("revision")
    if isinstance(name, str) and is_hub_id(name) and is_revision(revision):
        return CachedModel(name, revision)
    return published_snapshot(base_record(bundle))


def base_as_recorded(bundle: Path, base: Path, root: Path) -> Path:
    """`base` (checked: the files the fine-tune was made from) as the snapshot the bundle's
    fine-tune names, under `root`; itself where it is that snapshot or none is named."""
    recorded = recorded_snapshot(bundle)
    if recorded is None or cached_model(base) == recorded:
        return base
    repository = REPO_FOLDER + recorded.hub_id.replace("/", SEPARATOR)
    snapshot = root / "hub" / repository / SNAPSHOTS / recorded.revision
    shutil.copytree(base, snapshot, copy_function=_linked)
    return snapshot


def _linked(source: str, target: str) -> None:
    """A hard link of `source` (the same bytes, no second copy of the weights), or a copy where
    the two lie on different file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
