"""`bom.cdx.json`: the release as a CycloneDX 1.6 ML-BOM, written from the bundle's files.

The model (with a model card: architecture, task, datasets, test metrics, the energy of its
training runs as their records measured it) with one `file` component per weights file, one
`data` component per data shard (hash from the MANIFEST, licence from its documents), and every
Python package of the lockfile as a library. The model's supplier is the release's authors
with the contact given at release (an e-mail address as the contact's `email`, a web address
as the supplier's `url`, other words as the contact's `name`); a release without a contact
says so in the model's properties. No time stamp and a serial number derived from the
weights' hash, so the same bundle gives the same bytes and `verify` can compare them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from gemeingut.model.energy import recorded_kwh
from gemeingut.model.finetune_base_reference import is_revision
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import MODEL, TRAINING_CODE, TRAINING_METADATA
from gemeingut.release.manifest import hash_files
from gemeingut.release.openness.ai_act import NOT_EVIDENCED
from gemeingut.release.openness.chain_runs import earlier_runs
from gemeingut.release.openness.contact import contact_kind, email_address, release_contact
from gemeingut.release.openness.evidence import LOCKFILE, Evidence, validation_curve
from gemeingut.release.openness.finetune_energy import base_said, base_statement
from gemeingut.release.openness.finetune_rating import BASE_DIR, BASE_FILES
from gemeingut.release.openness.licences import collection_expression
from gemeingut.release.openness.model_size import model_size
from gemeingut.release.openness.treatment import PRE_TRAINED, mof_treatment

BOM_FILE = "bom.cdx.json"
SPEC_VERSION = "1.6"
_METRICS = (("perplexity", "perplexity"), ("bits_per_byte", "bits per byte"), ("loss", "loss"))


def cyclonedx_bom(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    base = _base_component(bundle)  # a fine-tune of a foreign base: the model it depends on
    config = _json(bundle / MODEL / "config.json") or _json(bundle / BASE_DIR / "config.json")
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
        **_supplier(release),
        "licenses": [{"expression": rating["licenses"]["weights"] or "NOASSERTION"}],
        "modelCard": {
            "modelParameters": {
                "approach": {"type": _approach(bundle)},
                "task": "text-generation",
                "architectureFamily": str(config.get("model_type", "unknown")),
                "modelArchitecture": ", ".join(config.get("architectures") or ["unknown"]),
                "datasets": [{"ref": item["bom-ref"]} for item in data],
                "inputs": [{"format": "text/plain"}],
                "outputs": [{"format": "text/plain"}],
            },
            "quantitativeAnalysis": {"performanceMetrics": _metrics(bundle)},
            "considerations": {"environmentalConsiderations": _environment(bundle)},
        },
        # each weights file (safetensors, GGUF) its own component: a hash says which file
        "components": [_file("model", rel, digests[rel]) for rel in weights],
        "properties": [
            *_parameters(bundle),
            {"name": "gemeingut:mof-class", "value": rating["mof"]["label"]},
            {"name": "gemeingut:osaid", "value": rating["osaid"]["summary"]},
            {"name": "gemeingut:open", "value": str(rating["open"]).lower()},
            *_no_contact(release),
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
        "components": [*([base] if base else []), *data, *libraries],
        "dependencies": [
            {
                "ref": "model",
                "dependsOn": [*(["base-model"] if base else []), *(d["bom-ref"] for d in data)],
            },
        ],
    }


def _supplier(release: dict[str, Any]) -> dict[str, Any]:
    """The model's supplier as `release.json` names it: the authors, and the contact given at
    release in the field CycloneDX has for its kind; nothing where it names neither."""
    authors = ", ".join(release.get("authors") or [])
    contact = release_contact(release)
    supplier: dict[str, Any] = {"name": authors} if authors else {}
    kind = contact_kind(contact) if contact else None
    if kind == "url":
        supplier["url"] = [contact]
    elif kind == "email":
        supplier["contact"] = [{"email": email_address(contact)}]
    elif kind == "other":
        supplier["contact"] = [{"name": contact}]
    return {"supplier": supplier} if supplier else {}


def _no_contact(release: dict[str, Any]) -> list[dict[str, str]]:
    """A release that gives no contact says so, as the Model Documentation Form does."""
    if release_contact(release):
        return []
    return [{"name": "gemeingut:contact", "value": NOT_EVIDENCED}]


def _approach(bundle: Path) -> str:
    """CycloneDX's learning type of the released model's last training: a fine-tune on chats or
    prompt/completion pairs learnt from labelled answers (supervised); pretraining, and
    fine-tuning on plain text, predict the text itself (self-supervised)."""
    record = _json(bundle / TRAINING_METADATA / "finetune.json")
    return "supervised" if record and mof_treatment(record) != PRE_TRAINED else "self-supervised"


def _file(owner: str, rel: str, digest: str) -> dict[str, Any]:
    """One file of a model, by its path (in the bundle, or in the base model's folder)."""
    return {
        "type": "file",
        "bom-ref": f"{owner}:{rel}",
        "name": rel,
        "hashes": [{"alg": "SHA-256", "content": digest}],
    }


def _parameters(bundle: Path) -> list[dict[str, str]]:
    """The model's parameters (an adapter's: with its base) and, for a fine-tune of a foreign
    base, how many the fine-tuning trained."""
    size = model_size(bundle)
    counts = [("gemeingut:parameters", size.total)]
    if (bundle / BASE_DIR).is_dir():
        counts.append(("gemeingut:trained-parameters", size.trained))
    return [{"name": name, "value": str(n)} for name, n in counts if n is not None]  # else unsaid


def _metrics(bundle: Path) -> list[dict[str, str]]:
    """The test split's (a build's evaluation), or a fine-tune's last validation loss."""
    evaluation = _json(bundle / TRAINING_METADATA / "evaluation.json")
    if evaluation:
        return [
            {"type": label, "value": f"{float(evaluation[key]):.6g}", "slice": "test split"}
            for key, label in _METRICS
        ]
    curve = validation_curve(bundle / TRAINING_METADATA / "finetune_log.jsonl")
    if not curve:
        return []
    return [{"type": "loss", "value": f"{curve[-1][1]:.6g}", "slice": "held-out fine-tuning data"}]


def _environment(bundle: Path) -> dict[str, Any]:
    """The energy of each training run as its record measured it (pretraining: `training`,
    a fine-tuning: `fine-tuning`, a chain's earlier ones first, each named by its record); a
    run whose record states none, and a foreign base's training, are said as not recorded or
    as the base states them, never estimated here. The energy providers are not known to the
    records: the list stays empty."""
    consumptions, unsaid = [], []
    for activity, rel in (
        ("training", f"{TRAINING_METADATA}/training.json"),
        *(("fine-tuning", run.record) for run in earlier_runs(bundle)),
        ("fine-tuning", f"{TRAINING_METADATA}/finetune.json"),
    ):
        if not (bundle / rel).is_file():
            continue
        energy = _json(bundle / rel).get("energy")
        kwh = recorded_kwh(energy)
        if kwh is None:
            unsaid.append(
                {
                    "name": "gemeingut:energy-not-recorded",
                    "value": f"{activity}: {rel} has no energy",
                }
            )
            continue
        consumptions.append(_consumption(activity, kwh, energy, rel))
    if (bundle / BASE_DIR).is_dir():
        said = base_said(base_statement(bundle / BASE_DIR))
        unsaid.append({"name": "gemeingut:base-model-energy", "value": said})
    return {
        **({"energyConsumptions": consumptions} if consumptions else {}),
        **({"properties": unsaid} if unsaid else {}),
    }


def _consumption(activity: str, kwh: float, energy: dict[str, Any], rel: str) -> dict[str, Any]:
    """One run's kWh; its CO2 where the record states it for the same run (a resumed run's
    kWh extrapolated to all its runs has CO2 measured for the last one only)."""
    said: dict[str, Any] = {
        "activity": activity,
        "energyProviders": [],
        "activityEnergyCost": {"value": kwh, "unit": "kWh"},
    }
    co2 = energy.get("co2_kg_this_run")
    if "kwh_total_extrapolated" not in energy and isinstance(co2, int | float):
        said["co2CostEquivalent"] = {"value": co2 / 1000, "unit": "tCO2eq"}
    said["properties"] = [
        {"name": "gemeingut:energy-method", "value": str(energy.get("method") or "not recorded")},
        {"name": "gemeingut:energy-record", "value": rel},
    ]
    return said


def _base_component(bundle: Path) -> dict[str, Any] | None:
    """The base model, named by its record and the sha256 of its weight files (from the file
    list in base-model/, which the base's fingerprint binds), not shipped."""
    if not (bundle / BASE_DIR).is_dir():
        return None
    record = _json(bundle / TRAINING_METADATA / "finetune.json").get("base_model") or {}
    listing = _json(bundle / BASE_DIR / BASE_FILES)
    revision = record.get(REVISION)  # the Hub's commit it was fine-tuned from, where named
    return {
        "type": "machine-learning-model",
        "bom-ref": "base-model",
        "name": str(record.get("path") or record.get("name") or "base model"),
        **({"version": revision} if is_revision(revision) else {}),
        "licenses": [{"expression": record.get("license") or "NOASSERTION"}],
        "components": [
            _file("base-model", rel, digest.removeprefix("sha256:"))
            for rel, digest in sorted(listing.items())
            if _is_weights(rel)
        ],
        "properties": [
            {"name": "gemeingut:fingerprint", "value": str(record.get("fingerprint"))},
            {"name": "gemeingut:architecture", "value": str(record.get("architecture"))},
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
    """The file's JSON object, or {} where the bundle has no such file."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
