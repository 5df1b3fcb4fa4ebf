"""`gemeingut reproduce` for the bundle of a fine-tune of a fine-tune of our own model (a chain:
pretraining → earlier fine-tunes → the released one, `release --finetuned LAST`).

The bundle holds what every link was made from: the curated shards, each earlier fine-tune's
data in `training-data/finetuning-earlier/<id>/` with its record in
`training-metadata/finetuning-earlier/<id>/finetune.json`, the released one's in
`training-data/finetuning/`, and the settings of every stage in `lineage.json`. The bundle's
own code (`training-code/`) rebuilds them in order (`rebuild_chain.py`); then each artifact of
the lineage, every earlier fine-tune by its id, and the release itself are compared as for a
build's release, the same declared fields of time and machine aside.

A chain that starts from a foreign base is released as a foreign base's fine-tune
(`finetune_bundle.py`) and rebuilt by `reproduce_finetune.py` on the base folder given. A
lineage that names earlier fine-tunes but not our pretraining is refused in words.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.release.layout import (
    BUNDLE_DIR,
    TRAINING_CODE,
    earlier_roles,
)
from gemeingut.release.openness.weights_licence_text import (
    WEIGHTS_LICENCE_FILE,
    licence_files,
    publication_year,
)
from gemeingut.release.reproduce import (
    Comparison,
    Stages,
    _say,
    compare_artifact,
    compare_bundles,
    dataset_artifact,
    run_own_code,
)
from gemeingut.release.reproduce_finetune import audit_job, link_job, release_settings
from gemeingut.release.verify_snapshot import snapshot_code
from gemeingut.stage_names import stage_name
from gemeingut.workspace import ARTIFACT_FILE

REBUILD = "gemeingut/release/rebuild_chain.py"  # in the code snapshot: the chain's rebuild
# The stages a chain's release is made of, besides its fine-tunes (gemeingut release takes
# these and no others), each rebuilt from its settings in the lineage.
NEEDED = ("dataset", "tokenizer", "model", "finetune", "evaluation")


def reproduce_chain(
    bundle: Path, lineage: dict[str, Any], root: Path, python: str = sys.executable
) -> list[Comparison]:
    missing = [role for role in NEEDED if role not in lineage]
    if missing:
        raise InputError(
            _(
                "{bundle} names earlier fine-tunes, but its lineage.json lacks {roles}: a chain "
                "starts from our own pretraining",
                bundle=str(bundle),
                roles=", ".join(missing),
            ),
            _("obtain an unmodified copy of the bundle"),
        )
    if not (bundle / TRAINING_CODE / REBUILD).is_file():
        raise InputError(
            _(
                "{bundle} was made by a gemeingut too old to rebuild a fine-tune of a fine-tune",
                bundle=str(bundle),
            ),
            _("`gemeingut verify` still checks its files and claims"),
        )
    refuse_other_code(bundle, lineage)
    # the audit of a model of ours reads its pretraining's documents from the lineage (its
    # `training` input), and the rebuild finds them there again: the bundle's shards (had the
    # auditor given others, the rebuilt audit's id differs, and is said to)
    held = frozenset({"training"})
    audit = audit_job(bundle, lineage["audit"], held) if "audit" in lineage else None
    workspace = root / "workspace"
    dataset = dataset_artifact(bundle, lineage["dataset"], workspace)
    links = [
        link_job(bundle, role, lineage[role], root / "data", workspace) for role in _chain(lineage)
    ]
    code = root / "code"
    shutil.copytree(bundle / TRAINING_CODE, code)
    recipe = bundle / TRAINING_CODE / "recipe.toml"
    published = lineage.get("publication")
    job = {
        "workspace": str(workspace),
        "dataset": str(dataset),
        "publication": published["params"] if published else None,
        "tokenizer": lineage["tokenizer"]["params"],
        "model": lineage["model"]["params"],
        "finetunes": links,
        "evaluation": lineage["evaluation"]["params"],
        "audit": audit,
        "release": _release_job(bundle, lineage),
        "recipe": str(recipe) if recipe.is_file() else None,
    }
    job_file = root / "job.json"
    job_file.write_text(json.dumps(job, indent=2), encoding="utf-8")
    _say(_("rebuilding with the bundle's own code in {folder}; each stage is named as it starts "
           "and as it ends:", folder=str(root)))  # fmt: skip
    tuning = stage_name("finetune")
    first = [*(["publication"] if published else []), "tokenizer", "model"]
    stages = Stages(
        [*first, *["finetune"] * len(links), "evaluation"]
        + (["audit"] if audit is not None else [])
        + ["release"],
        labels={len(first) + n: f"{tuning} {link['id']}" for n, link in enumerate(links)},
    )
    stages.start()
    rebuilt = run_own_code(
        ["-m", "gemeingut.release.rebuild_chain", str(job_file)], code, root, stages, python
    )
    _say(_("comparing artifact by artifact …"))
    reused = [role for role, entry in rebuilt.items() if entry.get("reused")]
    if reused:  # a fresh folder holds only the dataset: anything else reused was not rebuilt
        raise InputError(
            _(
                "the rebuild reused {artifacts} instead of building them",
                artifacts=", ".join(reused),
            ),
            _("use a new folder"),
        )
    return [
        *(
            compare_artifact(
                role, {**lineage[role], "_role": role, "_bundle": bundle}, workspace, rebuilt
            )
            for role in _in_order(lineage)
        ),
        compare_bundles(bundle, Path(rebuilt["release"]["path"]) / BUNDLE_DIR),
    ]


def refuse_other_code(bundle: Path, lineage: dict[str, Any]) -> None:
    """Every artifact the rebuild makes must have been made by the code the bundle carries:
    an id holds the code's version, so a link made by another gemeingut (a pretraining months
    before the fine-tunes, with an older one) cannot come out the same. Said before hours of
    training, not after. The dataset is not made again (its shards are the bundle's)."""
    snapshot = snapshot_code(bundle)
    other = {
        role: str(lineage[role].get("code"))
        for role in _rebuilt(lineage)
        if lineage[role].get("code") != snapshot
    }
    if other:
        raise InputError(
            _(
                "{bundle} cannot be rebuilt by its own code ({snapshot}): {artifacts} were made "
                "by another gemeingut",
                bundle=str(bundle),
                snapshot=str(snapshot),
                artifacts=", ".join(f"{role} ({code})" for role, code in other.items()),
            ),
            _(
                "a chain is reproduced where every link was made by the gemeingut that released "
                "it; `gemeingut verify` still checks its files and claims"
            ),
        )


def _chain(lineage: dict[str, Any]) -> list[str]:
    """The lineage roles of the chain's fine-tunes, oldest first, the released one last."""
    return [*earlier_roles(lineage), "finetune"]


def _rebuilt(lineage: dict[str, Any]) -> list[str]:
    """The lineage roles the rebuild makes again, in its order (the dataset is the bundle's)."""
    made = ["publication", "tokenizer", "model", *_chain(lineage), "evaluation", "audit"]
    return [role for role in made if role in lineage]


def _in_order(lineage: dict[str, Any]) -> list[str]:
    """The lineage's roles in the order of the rebuild, so that the first artifact that differs
    is the one where the difference starts: the later ones are made from it."""
    first = ["dataset", *_rebuilt(lineage)]
    return first + [role for role in lineage if role not in first]


def _release_job(bundle: Path, lineage: dict[str, Any]) -> dict[str, Any]:
    """The release's settings as `release.json` declares them, with the paper the bundle holds
    and the licence text the releaser gave (`given_licence_text`)."""
    paper = bundle / "paper"
    papers = sorted(paper.iterdir()) if paper.is_dir() else []
    if papers:  # a lone file was given as itself (as `reproduce` places a recipe's paper)
        paper = papers[0] if len(papers) == 1 and papers[0].is_file() else paper
    settings = release_settings(bundle)
    given = given_licence_text(bundle, settings, lineage)
    return {
        "settings": settings,
        "paper": str(paper) if papers else None,
        "license_file": str(given) if given else None,
    }


def given_licence_text(
    bundle: Path, settings: dict[str, Any], lineage: dict[str, Any]
) -> Path | None:
    """The bundle's licence text where the releaser gave it (`--license-file`), to release
    under it again: known from the release's own record where that lies beside the bundle in
    its release artifact; for a bundle alone, from the text itself, which the bundle ships
    verbatim: one that is not the text gemeingut writes for the licence was given. (One that
    is gemeingut's text makes the same bundle either way; only the release's id, which a
    bundle alone does not hold, would tell them apart.)"""
    shipped = bundle / WEIGHTS_LICENCE_FILE
    made = bundle.parent / ARTIFACT_FILE
    if made.is_file():
        params = json.loads(made.read_text("utf-8")).get("params", {})
        return shipped if params.get("license_file_sha256") is not None else None
    if not shipped.is_file():
        return None
    published = lineage.get("publication") or {}
    year = publication_year(published.get("params"))
    written = licence_files(settings["license"], settings["authors"], None, False, year)
    own = written.get(WEIGHTS_LICENCE_FILE)
    return None if shipped.read_text(encoding="utf-8") == own else shipped
