"""The rebuild of a fine-tune's release bundle, run by `gemeingut reproduce` with the bundle's
own code snapshot on its path: the fine-tuning again from the settings its lineage records, on
the base folder the reproducer gives and the data the bundle holds, its audit again where the
bundle holds one, then the release again with the settings of its `release.json`. All land in
one workspace, each under its id.

Run as `python -m gemeingut.release.rebuild_finetune JOB` (JOB: a JSON file that
`reproduce_finetune.py` writes); prints the ids of the artifacts as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gemeingut.audit.subject import model_folder
from gemeingut.i18n import _, text
from gemeingut.progress import console
from gemeingut.recipe import AuditSection, FinetuneSection, ReleaseSection
from gemeingut.stages import audit_stage, finetune_release_stage, finetune_stage
from gemeingut.workspace import Artifact, Workspace


def rebuild(job: dict) -> dict:
    place = Workspace(Path(job["workspace"])).produce
    base, data = Path(job["base"]), Path(job["data"])
    validation = Path(job["validation"]) if job.get("validation") else None
    section = FinetuneSection(**job["finetune"], base=base, data=data, validation=validation)
    release = ReleaseSection(**job["release"])
    # the licence named at fine-tuning, as its record keeps it (a job of an older gemeingut
    # names none: the release's)
    licence = job.get("finetune_license", release.license)
    tuned, tuned_reused = finetune_stage(place, base, data, section, licence)
    _done("finetune", tuned, tuned_reused)
    built = {"finetune": {"id": tuned.id, "kind": tuned.kind, "reused": tuned_reused}}
    audited = None
    if job.get("audit"):
        audit = job["audit"]
        subject = model_folder(tuned.path, audit["name"], None)
        settings = AuditSection(**audit["params"])
        audited, audit_reused = audit_stage(place, subject, settings, audit["command"])
        _done("audit", audited, audit_reused)
        built["audit"] = {"id": audited.id, "kind": audited.kind, "reused": audit_reused}
    recipe = Path(job["recipe"]) if job.get("recipe") else None
    released, released_reused = finetune_release_stage(place, release, recipe, tuned, base, audited)
    _done("release", released, released_reused)
    built["release"] = {"id": released.id, "path": str(released.path), "reused": released_reused}
    return built


def _done(kind: str, artifact: Artifact, reused: bool) -> None:
    """A stage's end on stderr, as `gemeingut build` says it: `reproduce` names the next one."""
    state = text(_("reused") if reused else _("built"))
    console.print(f"[green]✓[/] {kind:<10} {state:<15} {artifact.path}", highlight=False)


if __name__ == "__main__":
    print(json.dumps(rebuild(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
