"""`fmti.json`: the Foundation Model Transparency Index indicators a release's files can show.

The FMTI (Bommasani et al., 2023) scores 100 indicators by hand from a developer's public
statements. Here only indicators that a file of the bundle can satisfy are listed; each is
met or not by a check of that file, with the file as evidence (never a file derived after the
rating, so release and verify see the same). Indicators about the
developer's organisation, labour, distribution or downstream use (terms of service, usage
reports, redress …) cannot be shown by a release and are left out, not marked as met.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.release.layout import AUDIT, CARD, MODEL, TRAINING_CODE, TRAINING_METADATA
from gemeingut.release.openness.evidence import (
    DATA_STATEMENT,
    LOCKFILE,
    TECHNICAL_REPORT,
    Evidence,
)

FMTI_FILE = "fmti.json"
_META = TRAINING_METADATA
_DATA = "training-data"


def fmti_indicators(evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    has = evidence.has
    audit = f"{AUDIT}/report.json"
    parts = {c["name"]: c for c in rating["mof"]["components"]}

    def causal_lm() -> bool:
        config = evidence.root / MODEL / "config.json"
        if not config.is_file():
            return False
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
        return any(a.endswith("ForCausalLM") for a in architectures)

    def lineage() -> dict[str, Any]:
        return _record(evidence.root / _META / "lineage.json")

    def data_stats() -> dict[str, Any]:
        return (lineage().get("dataset") or {}).get("stats") or {}

    def training() -> dict[str, Any]:
        return _record(evidence.root / _META / "training.json")

    def component(name: str) -> Callable[[], bool]:
        return lambda: parts[name]["present"]

    table: list[tuple[str, str, str, Callable[[], bool]]] = [
        # (domain, indicator, evidence file, test)
        ("upstream", "Data size", f"{_META}/lineage.json (dataset splits)",
         lambda: bool(data_stats().get("splits"))),
        ("upstream", "Data sources", f"{_DATA}/", lambda: bool(evidence.training_data.files)),
        ("upstream", "Data creators", f"{_DATA}/ (attribution column)", component("Datasets")),
        ("upstream", "Data source selection", f"{_DATA}/{DATA_STATEMENT}",
         lambda: has(f"{_DATA}/{DATA_STATEMENT}")),
        ("upstream", "Data curation", f"{TRAINING_CODE}/gemeingut/data/", component(
            "Data preprocessing code")),
        ("upstream", "Harmful data filtration", f"{_META}/lineage.json (dataset blocks)",
         lambda: any("excluded" in b for b in data_stats().get("blocks", {}).values())),
        ("upstream", "Copyrighted data", f"{_DATA}/ (license column)",
         lambda: _all_documents_licensed(evidence)),
        ("upstream", "Data license", "openness.json (licence.training-data)",
         lambda: _passed(rating, "licence.training-data")),
        ("upstream", "Personal information in data", f"{_META}/lineage.json (pii_scrubber)",
         lambda: "pii_scrubber" in data_stats().get("blocks", {})),
        ("upstream", "Compute usage", f"{_META}/training.json (flops)",
         lambda: "flops_6nd" in training().get("flops", {})),
        ("upstream", "Development duration", f"{_META}/training.json (wall_seconds)",
         lambda: "total" in training().get("wall_seconds", {})),
        ("upstream", "Compute hardware", f"{_META}/training.json (hardware)",
         lambda: bool(training().get("hardware"))),
        ("upstream", "Energy usage", f"{_META}/training.json (energy, with its method)",
         lambda: bool(training().get("energy", {}).get("method"))),
        ("upstream", "Model stages", f"{_META}/lineage.json",
         lambda: {"dataset", "model"} <= set(lineage())),
        ("upstream", "Core frameworks", f"{TRAINING_CODE}/{LOCKFILE}",
         lambda: has(f"{TRAINING_CODE}/{LOCKFILE}")),
        ("upstream", "Additional dependencies", f"{TRAINING_CODE}/{LOCKFILE}",
         lambda: has(f"{TRAINING_CODE}/{LOCKFILE}")),
        ("model", "Input modality", f"{MODEL}/config.json (a causal LM: text)", causal_lm),
        ("model", "Output modality", f"{MODEL}/config.json (a causal LM: text)", causal_lm),
        ("model", "Model components", f"{MODEL}/", component("Model parameters (Final)")),
        ("model", "Model size", CARD, lambda: evidence.parameters is not None),
        ("model", "Model architecture", f"{MODEL}/config.json", component("Model architecture")),
        ("model", "Centralized model documentation", CARD, component("Model card")),
        ("model", "Full external model access", f"{MODEL}/",
         lambda: _passed(rating, "licence.weights")),
        ("model", "Capabilities description", TECHNICAL_REPORT, component("Technical report")),
        ("model", "Evaluation of capabilities", f"{_META}/evaluation.json",
         component("Evaluation results")),
        ("model", "External reproducibility of capabilities evaluation",
         f"{AUDIT}/tasks/ (lm-eval command)", lambda: has(f"{AUDIT}/tasks")),
        ("model", "Limitations description", audit, lambda: has(audit)),
        ("model", "Risks description", audit, lambda: has(audit)),
        ("model", "Unintentional harm evaluation", f"{audit} (bias)",
         lambda: _suite(evidence, "bias")),
        ("model", "Intentional harm evaluation", f"{audit} (redteam)",
         lambda: _suite(evidence, "redteam")),
        ("model", "External reproducibility of unintentional harm evaluation",
         f"{AUDIT}/logs/", lambda: _suite(evidence, "bias") and has(f"{AUDIT}/logs")),
        ("downstream", "Model License", "release.json",
         lambda: bool(rating["licenses"]["weights"])),
    ]  # fmt: skip
    rows = [
        {"domain": domain, "indicator": name, "met": bool(test()), "evidence": where}
        for domain, name, where, test in table
    ]
    return {
        "index": "Foundation Model Transparency Index (Bommasani et al., 2023), indicators a "
        "release can evidence",
        "met": sum(r["met"] for r in rows),
        "listed": len(rows),
        "indicators": rows,
    }


def _record(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _passed(rating: dict[str, Any], check_id: str) -> bool:
    return any(c["id"] == check_id and c["passed"] for c in rating["checks"])


def _all_documents_licensed(evidence: Evidence) -> bool:
    data = evidence.training_data
    return bool(data.files) and not data.documents.get("NOASSERTION")


def _suite(evidence: Evidence, suite: str) -> bool:
    path = evidence.root / AUDIT / "report.json"
    if not path.is_file():
        return False
    return suite in json.loads(path.read_text(encoding="utf-8"))
