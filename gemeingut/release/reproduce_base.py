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

A fine-tune of one of our releases (A) names its base by A's name, which A's `release.json`
beside its model folder declares. Given A's release or bundle, the rebuild starts from A's
model folder in it (and A's bundle is checked again, as at release). Given a plain copy of that
model folder (its files checked as above), the rebuild gets them as A's model folder again,
beside the files of A that the bundle kept (`base-release/`), and so names A as the fine-tune
did; the bundle's record of A is then kept, not made again, for A's other files are not at hand.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gemeingut.i18n import Message, _
from gemeingut.json_records import read_object
from gemeingut.model.export.released import released_model
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
from gemeingut.release.layout import BUNDLE_DIR, MODEL
from gemeingut.release.openness.base_release import (
    BASE_RELEASE,
    KEPT_FOR,
    RECORD,
    USED,
    read_record,
)
from gemeingut.release.openness.finetune_rating import base_record
from gemeingut.workspace import ARTIFACT_FILE

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
    fine-tune names, or as the model of the release of ours it names, under `root`; itself
    where it is that snapshot or that release's model folder, or the bundle names neither."""
    recorded = recorded_snapshot(bundle)
    if recorded is not None and cached_model(base) != recorded:
        repository = REPO_FOLDER + recorded.hub_id.replace("/", SEPARATOR)
        snapshot = root / "hub" / repository / SNAPSHOTS / recorded.revision
        shutil.copytree(base, snapshot, copy_function=_linked)
        return snapshot
    if recorded is None and read_record(bundle) is not None and released_model(base) is None:
        return _as_release(bundle, base, root)
    return base


def _as_release(bundle: Path, base: Path, root: Path) -> Path:
    """A plain copy of the model folder of our release A, as the model folder of A's bundle
    again: beside it the files of A that the bundle kept (`base-release/`, checked against
    A's MANIFEST by `verify`), so that the rebuild names A as the fine-tune did (by its
    `release.json`) and keeps the bundle's record of A (`kept_record`): A's other files, which
    that record says were intact, are not at hand to be checked again."""
    kept, folder = bundle / BASE_RELEASE, _laid_out(root)
    shutil.copytree(base, folder / MODEL, copy_function=_linked)
    shutil.copytree(kept, folder / BASE_RELEASE)
    for rel in USED:
        if (kept / rel).is_file():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(kept / rel, folder / rel)
    return folder / MODEL


def _laid_out(root: Path) -> Path:
    """Where `_as_release` lays out A's model files beside B's record of A, under `root`."""
    return root / BASE_RELEASE / BUNDLE_DIR


def kept_for(given: Path, root: Path) -> dict[str, str]:
    """The rebuild's environment that lets its release keep B's record of A (`kept_record`):
    only where `given` is the folder `_as_release` laid out under `root` for this rebuild,
    never a folder a user laid out so, nor one left from an earlier rebuild."""
    folder = _laid_out(root)
    return {KEPT_FOR: str(folder)} if given.is_relative_to(folder) else {}


def _linked(source: str, target: str) -> None:
    """A hard link of `source` (the same bytes, no second copy of the weights), or a copy where
    the two lie on different file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def release_unchecked(bundle: Path, base: Path, given: Path, root: Path) -> Message | None:
    """What of the base's release (A) the rebuild on `given` (`base_as_recorded`'s, under
    `root`; `base`: the folder passed) cannot check again: A's other files, where only its
    model files were given (the bundle's record of A is kept, `_as_release`); A's artifact id,
    where its bundle came without its release folder (the rebuilt record names none)."""
    record = read_record(bundle)
    if record is None:
        return None
    name = str(record.get("name") or "")
    if given.is_relative_to(_laid_out(root)):
        return _(
            "{path} holds the model files of our release {name}, not its bundle: the rebuild "
            "names it as the fine-tune did and keeps {folder}/ as this bundle recorded it; to "
            "check that release's other files again, pass its release folder or bundle with "
            "--base",
            path=str(base),
            name=name,
            folder=BASE_RELEASE,
        )
    artifact = record.get("artifact")
    release_folder = given.parent.parent
    if released_model(given) is None or not artifact or (release_folder / ARTIFACT_FILE).is_file():
        return None
    return _(
        "{path} is the bundle of our release {name} without its release folder, whose {file} "
        "holds the release's id: this bundle's {record} and documents name it ({artifact}), "
        "the rebuilt ones cannot; to compare that too, pass the release folder with --base",
        path=str(given.parent),
        name=name,
        file=ARTIFACT_FILE,
        record=f"{BASE_RELEASE}/{RECORD}",
        artifact=str(artifact),
    )
