"""The rebuild of a chain's release bundle (pretraining → earlier fine-tunes → the released
fine-tune), run by `gemeingut reproduce` with the bundle's own code snapshot on its path.

Every stage runs with the settings the bundle's lineage records for it, not with a recipe: the
recipe given to `release --recipe` need not be the one that trained, and a chain is released
by `gemeingut release`, never by a recipe. The tokenizer and the model from the curated
dataset put together from the bundle's shards (and the dataset's publication, where the
release had one), each fine-tune in turn on the one before it and the data the bundle holds,
the evaluation (and audit) of the released one, the release with the settings of its
`release.json`. All land in one workspace, each under its id.

Run as `python -m gemeingut.release.rebuild_chain JOB` (JOB: a JSON file that
`reproduce_chain.py` writes); prints the rebuilt artifacts by their lineage roles as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gemeingut.audit.subject import model_folder
from gemeingut.data.publish import PublicationInfo
from gemeingut.progress import console
from gemeingut.recipe import (
    AuditSection,
    EvaluateSection,
    FinetuneSection,
    ModelSection,
    ReleaseSection,
    TokenizerSection,
)
from gemeingut.stage_names import stage_line
from gemeingut.stages import (
    audit_stage,
    evaluate_stage,
    finetune_stage,
    pretrain_stage,
    publish_stage,
    release_stage,
    tokenizer_stage,
)
from gemeingut.workspace import Artifact, Workspace, load_artifact


def rebuild(job: dict[str, Any]) -> dict[str, Any]:
    place = Workspace(Path(job["workspace"])).produce
    built: dict[str, Any] = {}

    def step(role: str, kind: str, result: tuple[Artifact, bool]) -> Artifact:
        artifact, reused = result
        # as `gemeingut build` says a stage's end: `reproduce` names the next one
        console.print("[green]✓[/] " + stage_line(kind, reused, artifact.path), highlight=False)
        built[role] = {"id": artifact.id, "kind": artifact.kind, "reused": reused}
        return artifact

    dataset = load_artifact(Path(job["dataset"]), "dataset")
    published = None
    if job.get("publication"):  # as `gemeingut data publish` made it, from its settings
        info = PublicationInfo(**job["publication"])
        published = step("publication", "publication", publish_stage(place, dataset, info))
    tokenizer_settings = TokenizerSection(**job["tokenizer"])
    tokenizer = step("tokenizer", "tokenizer", tokenizer_stage(place, dataset, tokenizer_settings))
    model_settings = ModelSection(**job["model"])
    model = step("model", "model", pretrain_stage(place, dataset, tokenizer, model_settings))
    tuned = model
    for link in job["finetunes"]:  # oldest first, the released one last
        validation = Path(link["validation"]) if link.get("validation") else None
        section = FinetuneSection(
            **link["params"], base=tuned.path, data=Path(link["data"]), validation=validation
        )
        result = finetune_stage(place, tuned.path, Path(link["data"]), section, link["license"])
        tuned = step(link["role"], "finetune", result)
    evaluation = step(
        "evaluation",
        "evaluation",
        evaluate_stage(place, tuned, dataset, EvaluateSection(**job["evaluation"])),
    )
    artifacts = {
        "dataset": dataset,
        "tokenizer": tokenizer,
        "model": model,
        "evaluation": evaluation,
        "finetune": tuned,
    }
    if job.get("audit"):
        audit = job["audit"]
        subject = model_folder(tuned.path, audit["name"], None)
        result = audit_stage(place, subject, AuditSection(**audit["params"]), audit["command"])
        artifacts["audit"] = step("audit", "audit", result)
    if published is not None:  # in the place `gemeingut release --publication` gives it
        artifacts["publication"] = published
    release = job["release"]
    section = ReleaseSection(
        **release["settings"],
        paper=Path(release["paper"]) if release.get("paper") else None,
        license_file=Path(release["license_file"]) if release.get("license_file") else None,
    )
    recipe = Path(job["recipe"]) if job.get("recipe") else None
    released = step("release", "release", release_stage(place, section, recipe, artifacts))
    built["release"]["path"] = str(released.path)
    return built


if __name__ == "__main__":
    print(json.dumps(rebuild(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
