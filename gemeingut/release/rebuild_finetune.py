"""The rebuild of a fine-tune's release bundle, run by `gemeingut reproduce` with the bundle's
own code snapshot on its path: the fine-tuning again from the settings its lineage records, on
the base folder the reproducer gives and the data the bundle holds, its audit again where the
bundle holds one, then the release again with the settings of its `release.json`. All land in
one workspace, each under its id. A chain (base → ft1 → … → the released one) makes each
earlier link first, oldest first, each on the one before, under the name its successor
recorded for it.

Run as `python -m gemeingut.release.rebuild_finetune JOB` (JOB: a JSON file that
`reproduce_finetune.py` writes); prints the ids of the artifacts as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from gemeingut.audit.subject import model_folder
from gemeingut.data.publish import PublicationInfo
from gemeingut.progress import console
from gemeingut.recipe import AuditSection, FinetuneSection, ReleaseSection
from gemeingut.stage_names import stage_line
from gemeingut.stages import audit_stage, finetune_release_stage, finetune_stage, publish_stage
from gemeingut.workspace import Artifact, Workspace, load_artifact


def rebuild(job: dict) -> dict:
    workspace = Path(job["workspace"])
    place = Workspace(workspace).produce
    base, data = Path(job["base"]), Path(job["data"])
    built: dict[str, Any] = {}
    tuned_from = base
    for link in job.get("earlier", []):  # a chain: its earlier links, oldest first
        made, made_reused = _earlier(
            place, _named(tuned_from, link.get("base_name"), workspace), link
        )
        _done("finetune", made, made_reused)
        built[link["role"]] = {"id": made.id, "kind": made.kind, "reused": made_reused}
        tuned_from = made.path
    tuned_from = _named(tuned_from, job.get("finetune_base_name"), workspace)
    validation = Path(job["validation"]) if job.get("validation") else None
    section = FinetuneSection(**job["finetune"], base=tuned_from, data=data, validation=validation)
    release = ReleaseSection(**job["release"])
    # the licence named at fine-tuning, as its record keeps it (a job of an older gemeingut
    # names none: the release's)
    licence = job.get("finetune_license", release.license)
    tuned, tuned_reused = finetune_stage(place, tuned_from, data, section, licence)
    _done("finetune", tuned, tuned_reused)
    built["finetune"] = {"id": tuned.id, "kind": tuned.kind, "reused": tuned_reused}
    audited = None
    if job.get("audit"):
        audit = job["audit"]
        subject = model_folder(tuned.path, audit["name"], None)
        settings = AuditSection(**audit["params"])
        audited, audit_reused = audit_stage(place, subject, settings, audit["command"])
        _done("audit", audited, audit_reused)
        built["audit"] = {"id": audited.id, "kind": audited.kind, "reused": audit_reused}
    published = None
    if job.get("publication"):  # as `gemeingut data publish` made it, from its settings
        info = PublicationInfo(**job["publication"])
        published, published_reused = publish_stage(place, load_artifact(data, "dataset"), info)
        _done("publication", published, published_reused)
        built["publication"] = {
            "id": published.id,
            "kind": "publication",
            "reused": published_reused,
        }
    recipe = Path(job["recipe"]) if job.get("recipe") else None
    released, released_reused = finetune_release_stage(
        place, release, recipe, tuned, base, audited, published
    )
    _done("release", released, released_reused)
    built["release"] = {"id": released.id, "path": str(released.path), "reused": released_reused}
    return built


def _earlier(place: Any, base: Path, link: dict[str, Any]) -> tuple[Artifact, bool]:
    """An earlier link of a chain, fine-tuned again on `base` with its recorded settings."""
    data = Path(link["data"])
    validation = Path(link["validation"]) if link.get("validation") else None
    section = FinetuneSection(**link["params"], base=base, data=data, validation=validation)
    return finetune_stage(place, base, data, section, link["license"])


def _named(folder: Path, name: str | None, workspace: Path) -> Path:
    """`folder` (a link just made, under its id) as the base of the next link under `name`,
    the name the next link recorded for it (its folder's, where it was fine-tuned): the record
    and the stats keep a base's name, so the next link must find the same one. Linked, not
    copied: the files are the same. The foreign base and a name that is no folder name stay."""
    if not name or name in (".", "..") or "/" in name or name == folder.name:
        return folder
    named = workspace.parent / "links" / folder.name / name
    if not named.exists():
        shutil.copytree(folder, named, copy_function=os.link)
    return named


def _done(kind: str, artifact: Artifact, reused: bool) -> None:
    """A stage's end on stderr, as `gemeingut build` says it: `reproduce` names the next one."""
    console.print("[green]✓[/] " + stage_line(kind, reused, artifact.path), highlight=False)


if __name__ == "__main__":
    print(json.dumps(rebuild(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
