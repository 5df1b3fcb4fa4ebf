"""The licence of a gemeingut model used as a fine-tune's base, from its lineage.

A model gemeingut built has no card naming a licence until a release chooses one, but the data
it was trained on already binds it: its share-alike licences must be carried by the model and
by every derivative (the release stage refuses a licence that drops them, and so does
`model finetune --license` before training). So the base's licence is that share-alike licence
where its data holds one, else the licences of all its data. A fine-tune of our own model used
as a base carries the licence its own record names. `finetune.json` records the result, and
`openness rate` reads a base folder the same way where an older record names none.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import Obligation, decide
from gemeingut.data.shards import SHARD_DIR
from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.model.release_licence import RECORD_KEY as RELEASE_LICENCE_KEY
from gemeingut.release.openness.licences import collection_expression
from gemeingut.workspace import ARTIFACT_FILE


def with_lineage_licence(base: BaseModelFacts) -> BaseModelFacts:
    """`base` with the licence its lineage gives where it is our own model and names none."""
    if not base.own or base.license:
        return base
    return replace(base, license=own_model_licence(Path(base.path)))


def own_model_licence(folder: Path) -> str | None:
    """The licence the gemeingut model in `folder` carries (None: not a gemeingut model, or its
    data is no longer beside it in its workspace, so nothing here can tell)."""
    meta = _object(folder / ARTIFACT_FILE)
    if meta is None or meta.get("kind") != "model":
        return None
    record = _object(folder / FINETUNE_FILE)
    if record is not None:  # a fine-tune of ours: the licence chosen for it, else its base's
        base = record.get("base_model")
        chosen = record.get(RELEASE_LICENCE_KEY)
        return (
            str(chosen or (base.get("license") if isinstance(base, dict) else None) or "") or None
        )
    inputs = meta.get("inputs")
    dataset = inputs.get("dataset") if isinstance(inputs, dict) else None
    if not isinstance(dataset, str):
        return None
    return data_licence(folder.parent.parent / "dataset" / dataset)


def data_licence(dataset: Path) -> str | None:
    """What the licences of the curated dataset in `dataset` require of a model trained on it:
    its share-alike licences, else all of its licences (None where it has no shards)."""
    import pyarrow.parquet as pq

    shards = sorted((dataset / SHARD_DIR).glob("*.parquet"))
    licences = {
        str(licence)
        for shard in shards
        for licence in pq.read_table(shard, columns=["license"])["license"].to_pylist()
        if licence
    }
    if not licences:
        return None
    binding = {_share_alike(licence) for licence in licences} - {None}
    return collection_expression(sorted(str(x) for x in binding) or sorted(licences))


def _share_alike(licence: str) -> str | None:
    """The share-alike licence `licence` obliges to (the chosen one of an OR), or None."""
    decision = decide(licence)
    if decision.admitted and decision.obligation == Obligation.SHARE_ALIKE:
        return decision.chosen or licence
    return None


def _object(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`; None where it is missing or holds none (the caller then
    knows nothing of the licence, and says so)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
