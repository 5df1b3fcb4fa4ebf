"""Each fine-tune's data as its lineage records it, against the bundle's copy of it.

`lineage.json` records the sha256 of every file a fine-tune trained on (its `data/`); the
bundle publishes them as that fine-tune's data (the released one's in
`training-data/finetuning/`, each earlier one's of a chain in
`training-data/finetuning-earlier/<id>/`). A file changed there with its MANIFEST line, SBOM
and SPDX hashes rewritten to match would pass a re-hash, and the bundle would claim a model
made from data it was not made from: each file changed, lacking or added is named (but the
data statement of a curated dataset beside it, which `verify_statement_rendered` renders
again; a statement whose publication the lineage records is named here where it is missing).
The lineage records the released fine-tune's weights the same way: a weight file of
`model/` changed behind a re-hashed MANIFEST is named as such (`weight_problems`), before the
bills of materials that then disagree with it. The MANIFEST's digests are compared (already
checked against the files): no file is read again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.audit.finetuning_data import DATA_DIR
from gemeingut.i18n import Message, _
from gemeingut.release.finetune_publication import FINETUNE_STATEMENT, PUBLICATION
from gemeingut.release.layout import (
    MODEL,
    TRAINING_METADATA,
    earlier_roles,
    finetune_data_folder,
)

LINEAGE = f"{TRAINING_METADATA}/lineage.json"
WEIGHTS = (".safetensors", ".bin", ".gguf")  # the files a fine-tune's weights are in


def finetune_data_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Every file of a fine-tune's data in the bundle that is not the one its lineage records,
    the released fine-tune's and each earlier one's; `listed`: the MANIFEST's digests."""
    if not (bundle / LINEAGE).is_file():
        return []
    lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    roles = [*earlier_roles(lineage), *(["finetune"] if "finetune" in lineage else [])]
    problems = _missing_statement(lineage, listed) if roles else []
    for role in roles:
        problems += _data_problems(role, lineage[role], listed)
    return problems


def _missing_statement(lineage: dict[str, Any], listed: dict[str, str]) -> list[Message]:
    """A fine-tune's publication that lineage.json records, whose data statement (beside the
    fine-tuning data) the bundle lacks: said plainly, before what the rating then counts
    otherwise. A recipe's release (its lineage has a `dataset`) publishes its own data."""
    published = lineage.get(PUBLICATION)
    if not isinstance(published, dict) or "dataset" in lineage or FINETUNE_STATEMENT in listed:
        return []
    return [
        _(
            "{lineage} names the publication {id}, but its data statement {file} is missing "
            "from the bundle",
            lineage=LINEAGE,
            id=str(published.get("id")),
            file=FINETUNE_STATEMENT,
        )
    ]


def weight_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Each weight file of `model/` whose sha256 (`listed`: the MANIFEST's, checked) is not the
    one the lineage records for the released fine-tune's file of that name."""
    if not (bundle / LINEAGE).is_file():
        return []
    meta = json.loads((bundle / LINEAGE).read_text(encoding="utf-8")).get("finetune") or {}
    recorded = {
        f"{MODEL}/{rel}": str(digest).removeprefix("sha256:")
        for rel, digest in (meta.get("files") or {}).items()
        if rel.endswith(WEIGHTS) and "/" not in rel  # not the checkpoints' files
    }
    return [
        _(
            "{file}: sha256 {found}, but {lineage} records {recorded} for the weights of the "
            "fine-tune {model}",
            file=rel,
            found=listed[rel],
            lineage=LINEAGE,
            recorded=digest,
            model=str(meta.get("id")),
        )
        for rel, digest in recorded.items()
        if rel in listed and listed[rel] != digest
    ]


def _data_problems(role: str, meta: dict[str, Any], listed: dict[str, str]) -> list[Message]:
    folder = finetune_data_folder(role, meta)
    prefix = f"{DATA_DIR}/"
    recorded = {
        f"{folder}/{rel.removeprefix(prefix)}": str(digest).removeprefix("sha256:")
        for rel, digest in (meta.get("files") or {}).items()
        if rel.startswith(prefix)
    }
    held = {  # the statement beside the data is no data: rendered again from its records
        rel: digest
        for rel, digest in listed.items()
        if rel.startswith(f"{folder}/") and rel != FINETUNE_STATEMENT
    }
    model = str(meta["id"])
    problems = [
        _(
            "{file}: sha256 {found}, but {lineage} records {recorded} for the data of the "
            "fine-tune {model}",
            file=rel,
            found=held[rel],
            lineage=LINEAGE,
            recorded=digest,
            model=model,
        )
        for rel, digest in recorded.items()
        if rel in held and held[rel] != digest
    ]
    problems += [
        _(
            "{lineage} records {file} among the data of the fine-tune {model}, but the bundle "
            "lacks it",
            lineage=LINEAGE,
            file=rel,
            model=model,
        )
        for rel in recorded
        if rel not in held
    ]
    problems += [
        _(
            "{file} is not among the data {lineage} records for the fine-tune {model}",
            file=rel,
            lineage=LINEAGE,
            model=model,
        )
        for rel in held
        if rel not in recorded
    ]
    return problems
