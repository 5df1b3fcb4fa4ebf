"""The rebuild of a fine-tune's release bundle, run by `gemeingut reproduce` with the bundle's
own code snapshot on its path: the fine-tuning again from the settings its lineage records, on
the base folder the reproducer gives and the data the bundle holds, then the release again with
the settings of its `release.json`. Both land in one workspace, each under its id.

Run as `python -m gemeingut.release.rebuild_finetune JOB` (JOB: a JSON file that
`reproduce_finetune.py` writes); prints the ids of the two artifacts as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gemeingut.recipe import FinetuneSection, ReleaseSection
from gemeingut.stages import finetune_release_stage, finetune_stage
from gemeingut.workspace import Workspace


def rebuild(job: dict) -> dict:
    place = Workspace(Path(job["workspace"])).produce
    base, data = Path(job["base"]), Path(job["data"])
    validation = Path(job["validation"]) if job.get("validation") else None
    section = FinetuneSection(**job["finetune"], base=base, data=data, validation=validation)
    release = ReleaseSection(**job["release"])
    tuned, tuned_reused = finetune_stage(place, base, data, section, release.license)
    recipe = Path(job["recipe"]) if job.get("recipe") else None
    released, released_reused = finetune_release_stage(place, release, recipe, tuned, base)
    return {
        "finetune": {"id": tuned.id, "kind": tuned.kind, "reused": tuned_reused},
        "release": {"id": released.id, "path": str(released.path), "reused": released_reused},
    }


if __name__ == "__main__":
    print(json.dumps(rebuild(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
