"""`osai-index.yaml`: the release graded on the European Open Source AI Index's 14 parameters
(osai-index.eu; its YAML layout), each open, partial or closed, with the evidence file and why.

A class left empty means not applicable, as in the index. The index is filled in by hand for
other models; here every grade follows from a component
found in the bundle (`rating["mof"]["components"]`), a licence check or a file, so it can be
recomputed. "Paper" means peer-reviewed, which no file can show: a paper in `paper/` counts as
a preprint, and the peer-review grade stays closed unless the recipe says otherwise.

Every link is a path of the bundle. A fine-tune of a foreign base is graded with its base: the
base's weights by the file list in `base-model/` and its licence, the training code and the
hardware partly (the fine-tuning's are in the release, the base's pretraining's are not unless
it publishes them), and what the base withholds is linked to that file list.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from gemeingut.release.layout import CARD, FINETUNE_RECORD, MODEL, TRAINING_METADATA
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    BASE_FILES,
    BASE_ONLY,
    OWN_PATHS,
    SHARED,
)

OSAI_FILE = "osai-index.yaml"
CRITERIA = "https://osai-index.eu/contribute"


def osai_index(evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    parts = {c["name"]: c for c in rating["mof"]["components"]}
    checks = {c["id"]: c for c in rating["checks"]}
    release = evidence.release
    tuned = release.get("treatment", "pre-trained") != "pre-trained"

    def component(name: str, *, own_part: bool = False) -> tuple[str, str, str]:
        """`own_part`: a fine-tune's own part of a component its base withholds is partly open."""
        part = parts[name]
        if not part["present"]:
            notes = f"{name}: {part['detail']}"
            where = absent_evidence(evidence, name, own=own_part)
            own = own_part and any(evidence.has(p) for p in OWN_PATHS.get(name, ()))
            if own and evidence.has(BASE_DIR):
                return "partial", where, f"the fine-tuning's part is in the release; {notes}"
            return "closed", where, notes
        where = ", ".join(bundle_paths(evidence, part["evidence"]))
        if not part["license_open"]:
            return "partial", where, f"{name} present, but {part['detail']}"
        return "open", where, part["detail"]

    grades: dict[str, tuple[str, str, str]] = {
        "datasources_basemodel": component("Datasets"),
        "datasources_endmodel": _finetuning_data(evidence, tuned),
        "weights_basemodel": _base_weights(evidence, parts, checks, tuned),
        "weights_endmodel": component("Model parameters (Final)"),
        "trainingcode": component("Training code", own_part=True),
        "code": _code_documentation(evidence),
        "hardware_architecture": _hardware(evidence, parts),
        "preprint": component("Research paper"),
        "paper": ("closed", "", "peer review cannot be shown by a file; not declared"),
        "modelcard": component("Model card"),
        "datasheet": component("Data card"),
        "package": _package(evidence),
        "api": _api(evidence),
        "licenses": _licences(checks),
    }
    index: dict[str, Any] = {
        "system": {
            "name": release.get("name", "model"),
            "type": "text",
            "endmodelname": release.get("name", "model"),
            "endmodellicense": rating["licenses"]["weights"],
            "notes": f"Graded by gemeingut from the release's files; criteria: {CRITERIA}",
        },
        "org": {"name": ", ".join(release.get("authors") or []) or "undisclosed"},
    }
    for key, (grade, link, notes) in grades.items():
        index[key] = {"class": grade, "link": link, "notes": notes}
    return index


def osai_yaml(index: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(index, sort_keys=False, allow_unicode=True, width=100)


def bundle_paths(evidence: Evidence, cited: list[str]) -> list[str]:
    """A component's evidence as paths of this bundle: a file of a fine-tune's base
    (`base-model: config.json → …`) is its copy in base-model/ or, where the bundle holds no
    copy (its weights, its data), the base's file list that names it with its sha256."""
    paths: list[str] = []
    for item in cited:
        if item.startswith(f"{BASE_DIR}: "):
            name = re.split(r" \(| →", item.removeprefix(f"{BASE_DIR}: "), maxsplit=1)[0]
            copy = f"{BASE_DIR}/{name}"
            item = copy if evidence.has(copy) else f"{BASE_DIR}/{BASE_FILES}"
        if item not in paths:
            paths.append(item)
    return paths


def absent_evidence(evidence: Evidence, name: str, own: bool = True) -> str:
    """The files that show why a component is missing: for one a fine-tune's base withholds,
    the fine-tune's own part (`own`) and the base's file list, which lacks it; else none."""
    if not evidence.has(BASE_DIR) or name not in SHARED | BASE_ONLY:
        return ""
    paths = [p for p in OWN_PATHS.get(name, ()) if own and evidence.has(p)]
    return ", ".join([*paths, f"{BASE_DIR}/{BASE_FILES}"])


def _finetuning_data(evidence: Evidence, tuned: bool) -> tuple[str, str, str]:
    if not tuned:
        return "", "", "not applicable: no fine-tuning, the end model is the base model"
    files = [f for f in evidence.training_data.files if "/finetuning/" in f]
    if not files:
        return "closed", "", "the fine-tuning data is not in the release"
    return "open", ", ".join(files), "fine-tuning data published with its licence"


def _base_weights(
    evidence: Evidence, parts: dict[str, Any], checks: dict[str, Any], tuned: bool
) -> tuple[str, str, str]:
    final = parts["Model parameters (Final)"]
    if evidence.has(BASE_DIR):
        return _foreign_base_weights(evidence, checks)
    if not tuned:
        grade = "open" if final["present"] and final["license_open"] else "closed"
        return grade, ", ".join(final["evidence"]), "the released model is the base model"
    snapshots = parts["Model parameters (Intermediate)"]
    if snapshots["present"] and snapshots["license_open"]:
        where = ", ".join(snapshots["evidence"])
        return "open", where, "the base model's weights along pretraining, up to its last step"
    return "closed", "", "the base model's weights are not in the release"


def _foreign_base_weights(evidence: Evidence, checks: dict[str, Any]) -> tuple[str, str, str]:
    """A foreign base's weights: named with their sha256 in its file list, under the licence
    the fine-tuning recorded; published by the base's provider, not in this bundle."""
    listing = _json(evidence, f"{BASE_DIR}/{BASE_FILES}")
    weights = [rel for rel in sorted(listing) if rel.endswith((".safetensors", ".gguf", ".bin"))]
    where = f"{BASE_DIR}/{BASE_FILES}, {FINETUNE_RECORD}"
    if not weights:
        return "closed", where, "the base model's file list names no weights"
    licence = (_json(evidence, FINETUNE_RECORD).get("base_model") or {}).get("license")
    said = f"the base model's weights ({', '.join(weights)}, listed with their sha256) under "
    said += f"{licence or 'no named licence'}, not in this bundle: its provider publishes them"
    verdict = checks.get("licence.base")
    if verdict is not None and verdict["passed"]:
        return "open", where, said
    return "partial", where, f"{said}; {verdict['detail'] if verdict else 'licence not checked'}"


def _json(evidence: Evidence, rel: str) -> dict[str, Any]:
    path = evidence.root / rel
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _code_documentation(evidence: Evidence) -> tuple[str, str, str]:
    if not evidence.has("training-code/gemeingut"):
        return "closed", "", "no code in the release"
    recipe = evidence.has("training-code/recipe.toml")
    return (
        "open" if recipe else "partial",
        "training-code/",
        "the source that ran" + (" and its recipe" if recipe else "; no recipe"),
    )


def _hardware(evidence: Evidence, parts: dict[str, Any]) -> tuple[str, str, str]:
    if evidence.has(BASE_DIR):
        return _finetune_hardware(evidence, parts)
    where, config = f"{TRAINING_METADATA}/training.json", f"{MODEL}/config.json"
    if evidence.has(where) and evidence.has(config):
        return "open", f"{where}, {config}", "architecture and training hardware recorded"
    return "closed", "", "no architecture or hardware record"


def _finetune_hardware(evidence: Evidence, parts: dict[str, Any]) -> tuple[str, str, str]:
    """The architecture (an adapter's: its base's config) and the fine-tuning's hardware are
    recorded; the base's pretraining hardware only where the base publishes its metadata."""
    own = f"{MODEL}/config.json"
    config = own if evidence.has(own) else f"{BASE_DIR}/config.json"
    hardware = bool(_json(evidence, FINETUNE_RECORD).get("hardware"))
    if not (evidence.has(config) and hardware):
        return "closed", "", "no architecture or hardware record"
    where = f"{FINETUNE_RECORD}, {config}"
    metadata = parts["Model metadata"]
    if metadata["present"]:
        return "open", where, "architecture and the hardware of the fine-tuning recorded"
    return (
        "partial",
        where,
        "architecture and the hardware of the fine-tuning recorded; not the base model's "
        f"pretraining (Model metadata: {metadata['detail']})",
    )


def _package(evidence: Evidence) -> tuple[str, str, str]:
    if evidence.has("training-code/pyproject.toml"):
        return "open", "training-code/pyproject.toml", "the code installs with pip"
    return "closed", "", "no installable package"


def _api(evidence: Evidence) -> tuple[str, str, str]:
    template = evidence.has("model/chat_template.jinja")
    if evidence.has("training-code/gemeingut/serve/app.py"):
        prompt = "; chat template in model/" if template else ""
        return "open", "training-code/gemeingut/serve/", f"OpenAI-compatible server{prompt}"
    return "closed", "", "no API code"


def _licences(checks: dict[str, Any]) -> tuple[str, str, str]:
    ids = ("licence.weights", "licence.code", "licence.documents", "licence.training-data")
    ids += ("licence.base",) if "licence.base" in checks else ()
    failed = [i for i in ids if i in checks and not checks[i]["passed"]]
    if not failed:
        base = "; the base model's licence is open and allows this release"
        said = "weights, code, documents and data under open licences"
        return "open", CARD, said + (base if "licence.base" in checks else "")
    if len(failed) < len(ids):
        return "partial", CARD, "not open: " + ", ".join(failed)
    return "closed", CARD, "no part under an open licence"
