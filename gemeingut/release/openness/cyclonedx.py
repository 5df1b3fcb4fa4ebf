"""`bom.cdx.json`: the release as a CycloneDX 1.6 ML-BOM, written from the bundle's files.

The model (with a model card: architecture, task, datasets, test metrics), one `data`
component per data shard (hash from the MANIFEST, licence from its documents), and every
Python package of the lockfile as a library. No time stamp and a serial number derived from
the weights' hash, so the same bundle gives the same bytes and `verify` can compare them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from gemeingut.release.layout import MODEL, TRAINING_CODE, TRAINING_METADATA
from gemeingut.release.manifest import hash_files
from gemeingut.release.openness.evidence import LOCKFILE, Evidence
from gemeingut.release.openness.licences import collection_expression

BOM_FILE = "bom.cdx.json"
SPEC_VERSION = "1.6"
_METRICS = (("perplexity", "perplexity"), ("bits_per_byte", "bits per byte"), ("loss", "loss"))


def cyclonedx_bom(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    config = _json(bundle / MODEL / "config.json")
    evaluation = _json(bundle / TRAINING_METADATA / "evaluation.json")
    release = evidence.release
    weights = sorted(
        p.relative_to(bundle).as_posix()
        for p in (bundle / MODEL).iterdir()
        if p.is_file() and _is_weights(p.name)
    )
    shards = [*evidence.training_data.files, *evidence.test_data.files]
    digests = hash_files(bundle, [*weights, *shards])
    data = [_data_component(rel, digests, evidence) for rel in shards]
    libraries = _libraries(bundle / TRAINING_CODE / LOCKFILE)
    model = {
        "type": "machine-learning-model",
        "bom-ref": "model",
        "name": release.get("name", "model"),
        "licenses": [{"expression": rating["licenses"]["weights"] or "NOASSERTION"}],
        "hashes": [{"alg": "SHA-256", "content": digests[rel]} for rel in weights],
        "modelCard": {
            "modelParameters": {
                "approach": {"type": "self-supervised"},
                "task": "text-generation",
                "architectureFamily": str(config.get("model_type", "unknown")),
                "modelArchitecture": ", ".join(config.get("architectures") or ["unknown"]),
                "datasets": [{"ref": item["bom-ref"]} for item in data],
                "inputs": [{"format": "text/plain"}],
                "outputs": [{"format": "text/plain"}],
            },
            "quantitativeAnalysis": {
                "performanceMetrics": [
                    {"type": label, "value": f"{float(evaluation[key]):.6g}", "slice": "test split"}
                    for key, label in _METRICS
                ]
            },
        },
        "properties": [
            {"name": "gemeingut:parameters", "value": str(evidence.parameters)},
            {"name": "gemeingut:weights-files", "value": ", ".join(weights)},
            {"name": "gemeingut:mof-class", "value": rating["mof"]["label"]},
            {"name": "gemeingut:osaid", "value": rating["osaid"]["summary"]},
            {"name": "gemeingut:open", "value": str(rating["open"]).lower()},
        ],
    }
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "gemeingut:" + ",".join(digests[w] for w in weights))
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "tools": {"components": [_tool(libraries)]},
            "component": model,
            "licenses": [{"expression": rating["licenses"]["documents"] or "NOASSERTION"}],
        },
        "components": [*data, *libraries],
        "dependencies": [
            {"ref": "model", "dependsOn": [item["bom-ref"] for item in data]},
        ],
    }


def bom_text(bom: dict[str, Any]) -> str:
    return json.dumps(bom, indent=2, ensure_ascii=False) + "\n"


def _is_weights(rel: str) -> bool:
    return rel.endswith((".safetensors", ".gguf", ".bin"))


def _data_component(rel: str, digests: dict[str, str], evidence: Evidence) -> dict[str, Any]:
    data = evidence.test_data if rel in evidence.test_data.files else evidence.training_data
    licences = sorted(data.per_file.get(rel, {}))
    return {
        "type": "data",
        "bom-ref": f"data:{rel}",
        "name": rel,
        "hashes": [{"alg": "SHA-256", "content": digests[rel]}],
        "licenses": [
            {"expression": collection_expression(licences) if licences else "NOASSERTION"}
        ],
        "data": [
            {
                "type": "dataset",
                "name": rel,
                "contents": {"url": rel},
                "description": "test split" if data is evidence.test_data else "training data",
            }
        ],
    }


def _libraries(lockfile: Path) -> list[dict[str, Any]]:
    if not lockfile.is_file():
        return []
    libraries = []
    for line in lockfile.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if line.startswith("#") or not sep:
            continue
        purl_name = name.lower().replace("_", "-")
        libraries.append(
            {
                "type": "library",
                "bom-ref": f"pkg:pypi/{purl_name}@{version}",
                "name": name,
                "version": version,
                "purl": f"pkg:pypi/{purl_name}@{version}",
            }
        )
    return libraries


def _tool(libraries: list[dict[str, Any]]) -> dict[str, Any]:
    version = next((lib["version"] for lib in libraries if lib["name"] == "gemeingut"), "unknown")
    return {"type": "application", "name": "gemeingut", "version": version}


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
