"""The code snapshot's recipe against the settings the run recorded.

`gemeingut build RECIPE` copies its recipe into training-code/, and each stage records the
settings it ran with in training-metadata/. A recipe edited afterwards (steps 160 → 1600), with
the MANIFEST re-hashed, would make `reproduce` rebuild another model than the one released;
every setting that both name is compared, so the edit is named with both values. So is its
[data.publication] against the publication lineage.json records: the data statement quotes its
prose, and is rendered again from that record (`verify_statement_rendered`).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.layout import (
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    TRAINING_CODE,
    TRAINING_METADATA,
)

RECIPE = f"{TRAINING_CODE}/recipe.toml"
TRAINING = f"{TRAINING_METADATA}/training.json"
LINEAGE = f"{TRAINING_METADATA}/lineage.json"
# a table of the recipe -> the record and the key in it that holds the settings it ran with
_RECORDED = {
    ("model",): (TRAINING, ()),
    ("model", "training"): (TRAINING, ("training",)),
    ("finetune",): (FINETUNE_RECORD, ()),
    ("finetune", "training"): (FINETUNE_RECORD, ("training",)),
    ("finetune", "lora"): (FINETUNE_RECORD, ("lora",)),
}


# A fine-tune given `epochs` computes its steps itself (that many passes over its data),
# whatever the recipe's table says: the record holds the computed number.
_DERIVED_FROM_EPOCHS = ("steps",)


def recipe_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Each setting of the bundle's recipe that a record of the run gives another value."""
    if RECIPE not in listed:  # a release made from artifacts, not by `build`: no recipe
        return []
    recipe = tomllib.loads((bundle / RECIPE).read_text(encoding="utf-8"))
    # a chain's recipe may describe any of its fine-tunes; finetune.json records the last
    chain = any(rel.startswith(f"{TRAINING_METADATA}/{FINETUNE_EARLIER}/") for rel in listed)
    problems = []
    for table, (record_path, keys) in _RECORDED.items():
        settings = _at(recipe, table)
        if settings is None or record_path not in listed or (chain and table[0] == "finetune"):
            continue
        recorded = _at(json.loads((bundle / record_path).read_text(encoding="utf-8")), keys)
        if recorded is None:
            continue
        derived = _DERIVED_FROM_EPOCHS if "epochs" in (_at(recipe, table[:1]) or {}) else ()
        for key, value in settings.items():
            if key in derived:
                continue  # the run counted its steps from the epochs: the record has those
            if _scalar(value) and _scalar(recorded.get(key)) and not _same(value, recorded[key]):
                problems.append(
                    _(
                        "{recipe} sets {key} = {value}, but {record} records that the run used "
                        "{recorded}: the recipe is not the one the model was trained with",
                        recipe=RECIPE,
                        key=".".join((*table, key)),
                        value=json.dumps(value, ensure_ascii=False, default=str),
                        record=record_path,
                        recorded=json.dumps(recorded[key], ensure_ascii=False),
                    )
                )
    return problems + _publication_problems(bundle, recipe, listed)


def _publication_problems(
    bundle: Path, recipe: dict[str, Any], listed: dict[str, str]
) -> list[Message]:
    """The recipe's [data.publication] against the one the lineage records the data statement
    was written from (its prose is quoted there: one edited in both the record and the
    statement is still named), each as the recipe's loader reads it (a URL gets its `/`)."""
    from gemeingut.data.publish import PublicationInfo

    table = _at(recipe, ("data", "publication"))
    if table is None or LINEAGE not in listed:
        return []
    published = json.loads((bundle / LINEAGE).read_text(encoding="utf-8")).get("publication")
    if published is None:
        return []
    stated = PublicationInfo.model_validate(table).model_dump(mode="json")
    recorded = published["params"]
    return [
        _(
            "{recipe} sets {key} = {value}, but {record} records that the data statement was "
            "written from {recorded}: the recipe is not the one it was published with",
            recipe=RECIPE,
            key=f"data.publication.{key}",
            value=json.dumps(stated.get(key), ensure_ascii=False),
            record=f"{LINEAGE} (publication)",
            recorded=json.dumps(recorded.get(key), ensure_ascii=False),
        )
        for key in sorted(set(stated) | set(recorded))
        if stated.get(key) != recorded.get(key)
    ]


def _at(value: Any, keys: tuple[str, ...]) -> dict[str, Any] | None:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _same(stated: Any, recorded: Any) -> bool:
    """Equal as settings, as the recipe's loader (pydantic) reads the recipe's value into the
    type the run recorded: 16 and 16.0 are one learning rate, and so are "3e-3" and 0.003 (a
    recipe that trained as written is no tampering); 2 is not 2.5."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(type(recorded)).validate_python(stated) == recorded
    except ValidationError:
        return False
