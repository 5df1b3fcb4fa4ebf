"""How a fine-tune names its base so that others find it: a folder of the Hugging Face cache by
the Hub id and revision it was downloaded as, any other folder by its absolute path.

A snapshot of the cache (`…/hub/models--ORG--NAME/snapshots/REV`) means nothing on another
machine as a path, but peft and transformers users load `ORG/NAME` at revision `REV` from their
own cache (offline too), which is what `adapter_config.json` (`base_model_name_or_path`,
`revision`) and our records name. Without torch: the release and the GGUF export read it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from gemeingut.model.base_model import BaseModelFacts
from gemeingut.recipe import is_hub_id

REPO_FOLDER = "models--"  # huggingface_hub's folder of a model repository: models--ORG--NAME
SEPARATOR = "--"  # for the "/" of a Hub id, which never holds "--" itself
_COMMIT = re.compile(r"[0-9a-f]{40}")  # the name of a snapshot folder: its commit


@dataclass(frozen=True)
class CachedModel:
    """A model folder of the Hugging Face cache: the Hub id and revision it was fetched as."""

    hub_id: str
    revision: str


def is_revision(value: object) -> bool:
    """Whether `value` names a snapshot as the Hugging Face cache does: a commit's 40 hex
    digits. A revision read from someone else's bundle is joined into a folder path and into
    lm_eval's comma-separated arguments: `../..`, an absolute path or `x,trust_remote_code=True`
    would climb out of the folder or add an argument."""
    return isinstance(value, str) and _COMMIT.fullmatch(value) is not None


def cached_model(path: str | Path) -> CachedModel | None:
    """The Hub id and revision of a snapshot folder of the cache, given as it was (relative,
    through links) or resolved; None for any other folder."""
    for candidate in (Path(path), Path(path).resolve()):
        parts = candidate.parts
        if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith(REPO_FOLDER):
            hub_id = parts[-3].removeprefix(REPO_FOLDER).replace(SEPARATOR, "/")
            if is_hub_id(hub_id) and is_revision(parts[-1]):
                return CachedModel(hub_id, parts[-1])
    return None


def base_reference(path: str) -> str:
    """The name a fine-tune's base resolves by wherever the adapter is loaded: the Hub id of a
    cache snapshot, else the folder's absolute path."""
    cached = cached_model(path)
    return cached.hub_id if cached is not None else str(Path(path).resolve())


def named_by_hub_id(base: BaseModelFacts) -> BaseModelFacts:
    """`base` named by its Hub id where it is a cache snapshot that its card gives no name: the
    folder's own name there is the revision's hash, which names no model."""
    cached = cached_model(base.path)
    if cached is None or base.name != Path(base.path).name:
        return base
    return replace(base, name=cached.hub_id)
