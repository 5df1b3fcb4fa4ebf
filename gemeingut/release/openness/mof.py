"""Model Openness Framework: each component found (or not) with its licence, and the class
computed the way the Model Openness Tool computes it (`ModelEvaluator::getClassification`).

Class III (Open Model) needs every required class-III component present under an open licence
of its kind; Class II (Open Tooling) adds the class-II ones; Class I (Open Science) all. Like the
tool, an openly licensed final model gives a *conditional* Class III when other class-III
components are missing.

The kinds: code under an OSI-approved licence; the datasets (training and evaluation data) under
an open data licence, as the corpus gate admits data (`decide`: Open-Definition-conformant), so
that a software licence such as MPL-2.0, EUPL-1.2 or GPL-3.0 does not make data open (the tool
counts one only with a note that the component "should have a type-appropriate open license");
the weights and documents under either (`content_licence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml

from gemeingut.data.licenses import decide
from gemeingut.i18n import _, recorded, text
from gemeingut.release.openness.licences import Openness, code_licence, content_licence

FRAMEWORK = {"name": "Model Openness Framework", "version": "1.0", "date": "2024-12-15"}
LABELS = {
    0: "Unclassified",
    1: "Class I - Open Science",
    2: "Class II - Open Tooling",
    3: "Class III - Open Model",
}
CONDITIONAL = " (conditional)"  # Class III reached by the final weights alone (`classify`)
# Every label a rating can record.
RECORDED_LABELS = (*LABELS.values(), LABELS[3] + CONDITIONAL)
FINAL_PARAMETERS = "Model parameters (Final)"
DATASETS = frozenset({"Datasets", "Evaluation data"})  # judged as data (`dataset_licence`)
UNDISCLOSED = "undisclosed"  # the MOF's word for a producer no file names
# The framework's names, as a person reads them (the records keep the framework's English).
SAID = {
    "Unclassified": _("Unclassified"),
    "Class I - Open Science": _("Class I - Open Science"),
    "Class II - Open Tooling": _("Class II - Open Tooling"),
    "Class III - Open Model": _("Class III - Open Model"),
    "Datasets": _("Datasets"),
    "Data preprocessing code": _("Data preprocessing code"),
    "Model metadata": _("Model metadata"),
    "Research paper": _("Research paper"),
    "Model parameters (Intermediate)": _("Model parameters (Intermediate)"),
    "Training code": _("Training code"),
    "Inference code": _("Inference code"),
    "Evaluation code": _("Evaluation code"),
    "Evaluation data": _("Evaluation data"),
    "Supporting libraries and tools": _("Supporting libraries and tools"),
    "Model architecture": _("Model architecture"),
    "Model parameters (Final)": _("Model parameters (Final)"),
    "Technical report": _("Technical report"),
    "Evaluation results": _("Evaluation results"),
    "Model card": _("Model card"),
    "Data card": _("Data card"),
    "Sample model outputs": _("Sample model outputs"),
}


def said(name: str, language: str) -> str:
    """A class label or component name of the framework in `language` (a conditional class
    keeps its note)."""
    base, conditional = name.removesuffix(CONDITIONAL), name.endswith(CONDITIONAL)
    shown = text(SAID[base], language) if base in SAID else base
    return text(_("{label} (conditional)", label=shown), language) if conditional else shown


def explained(name: str, language: str, alone: bool = False) -> str:
    """A class label as `said`, in running text after a colon ("Model Openness Framework:
    not classified"; `alone`: a value of its own, as `/v1/models` shows it), where a
    conditional class says what its condition is (the Model Openness Tool's: the final
    weights openly licensed, the rest of Class III not). The one verdict every reader gets:
    `openness rate`, the card, `verify` and the server."""
    if name == LABELS[0] and not alone:
        return text(_("not classified"), language)  # no noun: lower case after the colon
    if not name.endswith(CONDITIONAL):
        return said(name, language)
    shown = said(name.removesuffix(CONDITIONAL), language)
    note = _(  # said plainly: no class is reached, the Model Openness Tool's note beside it
        "no class reached ({label} only conditionally: only the final weights are openly "
        "licensed; other required components of Class III are missing or not openly licensed)",
        label=shown,
    )
    return text(note, language)


@dataclass(frozen=True)
class Component:
    id: int
    name: str
    description: str
    content_type: str  # code, data or document
    mof_class: int
    required: bool


@dataclass(frozen=True)
class Found:
    """One component as found in a release: where, under which licence, and whether valid."""

    component: Component
    paths: tuple[str, ...]  # evidence; empty when the component is missing
    licence: str | None
    licence_open: bool
    detail: str  # a `Recorded` message: English in documents, the reader's language shown

    @property
    def present(self) -> bool:
        return bool(self.paths)


def components() -> list[Component]:
    text = (files("gemeingut.release.openness") / "mof_components.yml").read_text("utf-8")
    return [
        Component(
            c["id"], c["name"], c["description"], c["content_type"], c["class"], c["required"]
        )
        for c in yaml.safe_load(text)["components"]
    ]


def found(
    component: Component, paths: list[str], licence: str | None, verdict: Openness | None = None
) -> Found:
    """The component with its licence judged for its kind (code: OSI; datasets: open data;
    weights, documents: either), or by `verdict` where the caller knows more (code whose
    licence text contradicts it)."""
    if not paths:
        return Found(component, (), licence, False, recorded(_("not in the release")))
    if verdict is None:
        if component.content_type == "code":
            verdict = code_licence(licence)
        elif component.name in DATASETS:
            verdict = dataset_licence(licence)
        else:
            verdict = content_licence(licence)
    return Found(component, tuple(paths), licence, verdict.open, verdict.detail)


def dataset_licence(expression: str | None) -> Openness:
    """Open where the corpus gate would admit data under it; an OSI-approved licence that is
    not also an open data licence is named as the software licence it is."""
    decision = decide(expression)
    if decision.admitted:
        return Openness(True, recorded(_("{licence} is open", licence=str(decision.expression))))
    if decision.reason == "licence-unknown" and code_licence(expression).open:
        said = _(
            "{licence} is a licence for software (OSI-approved), not an open data licence; "
            "the MOF asks for an open data licence for datasets",
            licence=str(expression),
        )
        return Openness(False, recorded(said))
    return Openness(False, decision.detail or decision.reason)


def classify(parts: list[Found]) -> dict[str, Any]:
    """The class, and per class what is missing or not openly licensed."""
    by_name = {p.component.name: p for p in parts}
    final = by_name.get(FINAL_PARAMETERS)
    conditional = final is not None and final.present and final.licence_open
    levels: dict[str, Any] = {}
    for level in (3, 2, 1):
        needed = [p for p in parts if p.component.required and p.component.mof_class >= level]
        levels[str(level)] = {
            "missing": [p.component.name for p in needed if not p.present],
            "invalid": [p.component.name for p in needed if p.present and not p.licence_open],
        }
    reached = 0
    for level in (1, 2, 3):
        if not levels[str(level)]["missing"] and not levels[str(level)]["invalid"]:
            reached = level
            break
    is_conditional = reached == 0 and conditional
    if is_conditional:
        reached = 3
    return {
        "class": reached,
        "label": LABELS[reached] + (CONDITIONAL if is_conditional else ""),
        "conditional": is_conditional,
        # the class met in full: 0 for a conditional Class III, as `explained` says it
        "reached": 0 if is_conditional else reached,
        "levels": levels,
    }


def mof_document(
    release: dict[str, Any],
    licences: dict[str, str | None],
    parts: list[Found],
    weights_licence_path: str = "release.json",
) -> dict[str, Any]:
    """The release described in the MOF schema (`mof_schema.json`), present components only;
    `weights_licence_path`: the file(s) that hold the weights' licence text, where shipped."""
    document: dict[str, Any] = {
        "name": release.get("name") or "unnamed",
        "type": "language",
        "architecture": "transformer decoder",
        "treatment": release.get("treatment", "pre-trained"),
        "producer": ", ".join(release.get("authors") or []) or UNDISCLOSED,
        "contact": str(release.get("contact") or ""),
        "license": {
            kind: {"name": name, "path": path}
            for kind, (name, path) in {
                "distribution": (licences.get("weights"), weights_licence_path),
                "code": (licences.get("code"), "training-code/pyproject.toml"),
                "data": (licences.get("data"), "training-data"),
                "document": (licences.get("documents"), "release.json"),
            }.items()
        },
        "components": [
            {
                "name": p.component.name,
                "description": p.component.description,
                "license": p.licence or "unlicensed",
                "component_path": ", ".join(p.paths),
            }
            for p in parts
            if p.present
        ],
    }
    if release.get("version"):
        document["version"] = str(release["version"])
    return {"framework": dict(FRAMEWORK), "release": document}


def unfilled(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The MOF document's fields of prose that no file fills (who made the model, whom to
    contact): left empty or `undisclosed`, never invented, and said as missing, so that the
    rating names what to ask the publisher for."""
    release = document["release"]
    said = {
        "producer": _(
            "no file names who made the model: the MOF's producer is written as {value!r}",
            value=UNDISCLOSED,
        ),
        "contact": _("no file names whom to contact about the model: the MOF's contact is empty"),
    }
    empty = {
        "producer": str(release.get("producer") or "").strip() in ("", UNDISCLOSED),
        "contact": not str(release.get("contact") or "").strip(),
    }
    return [
        {"field": field, "detail": recorded(message)}
        for field, message in said.items()
        if empty[field]
    ]
