"""`osai-index.yaml`: the release graded on the European Open Source AI Index's 14 parameters
(osai-index.eu; its YAML layout), each open, partial or closed, with the evidence file and why.

A class left empty means not applicable, as in the index. The index is filled in by hand for
other models; here every grade follows from a component
found in the bundle (`rating["mof"]["components"]`), a licence check or a file, so it can be
recomputed. "Paper" means peer-reviewed, which no file can show: a paper in `paper/` counts as
a preprint, and the peer-review grade stays closed unless the recipe says otherwise.
"""

from __future__ import annotations

from typing import Any

import yaml

from gemeingut.release.layout import CARD, TRAINING_METADATA
from gemeingut.release.openness.evidence import Evidence

OSAI_FILE = "osai-index.yaml"
CRITERIA = "https://osai-index.eu/contribute"


def osai_index(evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    parts = {c["name"]: c for c in rating["mof"]["components"]}
    checks = {c["id"]: c for c in rating["checks"]}
    release = evidence.release
    tuned = release.get("treatment", "pre-trained") != "pre-trained"

    def component(name: str, *, partial_when_present: bool = False) -> tuple[str, str, str]:
        part = parts[name]
        if not part["present"]:
            return "closed", "", f"{name}: not in the release"
        where = ", ".join(part["evidence"])
        if not part["license_open"]:
            return "partial", where, f"{name} present, but {part['detail']}"
        return ("partial" if partial_when_present else "open"), where, part["detail"]

    grades: dict[str, tuple[str, str, str]] = {
        "datasources_basemodel": component("Datasets"),
        "datasources_endmodel": _finetuning_data(evidence, tuned),
        "weights_basemodel": _base_weights(evidence, parts, tuned),
        "weights_endmodel": component("Model parameters (Final)"),
        "trainingcode": component("Training code"),
        "code": _code_documentation(evidence),
        "hardware_architecture": _hardware(evidence),
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


def _finetuning_data(evidence: Evidence, tuned: bool) -> tuple[str, str, str]:
    if not tuned:
        return "", "", "not applicable: no fine-tuning, the end model is the base model"
    files = [f for f in evidence.training_data.files if "/finetuning/" in f]
    if not files:
        return "closed", "", "the fine-tuning data is not in the release"
    return "open", ", ".join(files), "fine-tuning data published with its licence"


def _base_weights(evidence: Evidence, parts: dict[str, Any], tuned: bool) -> tuple[str, str, str]:
    final = parts["Model parameters (Final)"]
    if not tuned:
        grade = "open" if final["present"] and final["license_open"] else "closed"
        return grade, ", ".join(final["evidence"]), "the released model is the base model"
    snapshots = parts["Model parameters (Intermediate)"]
    if snapshots["present"] and snapshots["license_open"]:
        where = ", ".join(snapshots["evidence"])
        return "open", where, "the base model's weights along pretraining, up to its last step"
    return "closed", "", "the base model's weights are not in the release"


def _code_documentation(evidence: Evidence) -> tuple[str, str, str]:
    if not evidence.has("training-code/gemeingut"):
        return "closed", "", "no code in the release"
    recipe = evidence.has("training-code/recipe.toml")
    return (
        "open" if recipe else "partial",
        "training-code/",
        "the source that ran" + (" and its recipe" if recipe else "; no recipe"),
    )


def _hardware(evidence: Evidence) -> tuple[str, str, str]:
    where = f"{TRAINING_METADATA}/training.json"
    if evidence.has(where) and evidence.has("model/config.json"):
        return "open", f"{where}, model/config.json", "architecture and training hardware recorded"
    return "closed", "", "no architecture or hardware record"


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
    failed = [i for i in ids if i in checks and not checks[i]["passed"]]
    if not failed:
        return "open", CARD, "weights, code, documents and data under open licences"
    if len(failed) < len(ids):
        return "partial", CARD, "not open: " + ", ".join(failed)
    return "closed", CARD, "no part under an open licence"
