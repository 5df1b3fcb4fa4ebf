"""`spdx.json`: the release as an SPDX 3.0.1 document with the AI and Dataset profiles.

Built with `spdx-python-model`, the SPDX project's bindings generated from the official SHACL
model, which refuse a wrong type and, on writing, a missing required property. Everything
comes from the bundle's files: the model (`ai_AIPackage`: type, hyper-parameters, metrics,
parameter count, the energy of training and of each fine-tuning (a chain's earlier ones too)
as the run records measured it, the weights' hashes, the MOF class and OSAID result it
reached; a fine-tune's base: its hashes, licence, and what it states of its energy), the
training and test data (`dataset_DatasetPackage`, each shard a `software_File` with its
hash), the licences (declared), and how they relate (trainedOn, testedOn, contains). The
contact given at release is the model's `support` reference, and an e-mail address also the
supplier's `email` identifier; a release without one says so in the supplier's comment. The
creation time is the model artifact's, so the same bundle always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _, plural, text
from gemeingut.model.energy import recorded_kwh
from gemeingut.model.finetune_base_reference import is_revision
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import MODEL, TRAINING_METADATA
from gemeingut.release.manifest import hash_files
from gemeingut.release.openness.ai_act import NOT_EVIDENCED
from gemeingut.release.openness.chain_runs import earlier_runs
from gemeingut.release.openness.contact import contact_kind, email_address, release_contact
from gemeingut.release.openness.evidence import DataLicences, Evidence, validation_curve
from gemeingut.release.openness.finetune_energy import base_said, base_statement
from gemeingut.release.openness.finetune_rating import BASE_DIR, BASE_FILES
from gemeingut.release.openness.licences import collection_expression
from gemeingut.release.openness.model_size import model_size

SPDX_FILE = "spdx.json"
_METRICS = ("perplexity", "bits_per_byte", "loss")


def spdx_text(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> str:
    from spdx_python_model import v3_0_1 as spdx

    run = _finetune_run(bundle) if (bundle / BASE_DIR).is_dir() else _pretraining_run(bundle)
    own_config = bundle / MODEL / "config.json"
    config = _json(own_config if own_config.is_file() else bundle / BASE_DIR / "config.json")
    weights = sorted(
        p.relative_to(bundle).as_posix()
        for p in (bundle / MODEL).iterdir()
        if p.is_file() and p.suffix in (".safetensors", ".gguf")
    )
    shards = [*evidence.training_data.files, *evidence.test_data.files]
    digests = hash_files(bundle, [*weights, *shards])
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "gemeingut:" + ",".join(digests[w] for w in weights))
    ids = _Ids(f"urn:gemeingut:{namespace}")
    info = spdx.CreationInfo()
    info.specVersion = "3.0.1"
    info.created = dt.datetime.fromisoformat(run.created)
    authors = ", ".join(evidence.release.get("authors") or []) or "undisclosed"
    supplier = spdx.Organization(_id=ids("supplier"), name=authors, creationInfo=info)
    contact = release_contact(evidence.release)
    _supplier_contact(spdx, supplier, contact)
    tool = spdx.Tool(_id=ids("tool"), name="gemeingut", creationInfo=info)
    info.createdBy = [supplier]
    info.createdUsing = [tool]
    elements: list[Any] = [supplier, tool]

    model = spdx.ai_AIPackage(_id=ids("model"), creationInfo=info)
    model.name = evidence.release.get("name", "model")
    model.software_primaryPurpose = spdx.software_SoftwarePurpose.model
    model.suppliedBy = supplier
    model.releaseTime = info.created
    model.software_downloadLocation = "NOASSERTION"
    if contact:
        model.externalRef = [_support(spdx, contact)]
    model.verifiedUsing = [_hash(spdx, digests[w]) for w in weights]
    model.ai_typeOfModel = ["transformer decoder", str(config.get("model_type", "unknown"))]
    model.ai_domain = ["text generation"]
    model.ai_informationAboutTraining = run.about
    model.ai_hyperparameter = [
        spdx.DictionaryEntry(key=str(k), value=json.dumps(v))
        for k, v in sorted(run.hyperparameters.items())
    ]
    size = model_size(bundle)
    counts = [("parameters", size.total)]
    if (bundle / BASE_DIR).is_dir():
        counts.append(("trained_parameters", size.trained))
    recorded = [(key, str(count)) for key, count in counts if count is not None]  # else unsaid
    model.ai_metric = [
        spdx.DictionaryEntry(key=key, value=value) for key, value in [*recorded, *run.metrics]
    ]
    model.ai_standardCompliance = [
        f"Model Openness Framework 1.0: {rating['mof']['label']}",
        f"Open Source AI Definition 1.0: {rating['osaid']['summary']}",
    ]
    consumption = _energy(spdx, run)
    if consumption is not None:
        model.ai_energyConsumption = consumption
    elements.append(model)
    licence = _licence(spdx, ids, info, "weights", rating["licenses"]["weights"])
    elements += [licence, _relation(spdx, ids, info, model, "hasDeclaredLicense", [licence])]
    for name, data, relation in (
        ("training-data", evidence.training_data, "trainedOn"),
        ("test-data", evidence.test_data, "testedOn"),
    ):
        if data.files or name == "training-data":
            elements += _dataset(spdx, ids, info, supplier, name, data, digests, model, relation)
    if (bundle / BASE_DIR).is_dir():  # a fine-tune: the model it descends from, named
        elements += _base_model(spdx, ids, info, bundle, model)

    document = spdx.SpdxDocument(_id=ids("document"), creationInfo=info)
    document.name = f"SPDX 3.0.1 description of {model.name}"
    document.profileConformance = [
        spdx.ProfileIdentifierType.core,
        spdx.ProfileIdentifierType.software,
        spdx.ProfileIdentifierType.ai,
        spdx.ProfileIdentifierType.dataset,
    ]
    document.rootElement = [model]
    document.element = list(elements)
    objects = spdx.SHACLObjectSet()
    for element in [document, *elements]:
        objects.add(element)
    out = io.BytesIO()
    spdx.JSONLDSerializer().write(objects, out, indent=2)
    return out.getvalue().decode("utf-8") + "\n"


def _supplier_contact(spdx: Any, supplier: Any, contact: str) -> None:
    """The supplier's e-mail address as its identifier, where the contact is one; without a
    contact, the supplier's comment says that none is given."""
    if not contact:
        supplier.comment = f"Contact: {NOT_EVIDENCED}"
    elif contact_kind(contact) == "email":
        supplier.externalIdentifier = [
            spdx.ExternalIdentifier(
                externalIdentifierType=spdx.ExternalIdentifierType.email,
                identifier=email_address(contact),
            )
        ]


def _support(spdx: Any, contact: str) -> Any:
    """Whom to ask about the model, as given at release (any words: the locator is a string)."""
    return spdx.ExternalRef(
        externalRefType=spdx.ExternalRefType.support,
        locator=[contact],
        comment="the contact given at release (release.json)",
    )


@dataclass(frozen=True)
class _Run:
    """What the document says about how the released model was trained."""

    created: str
    about: str
    hyperparameters: dict[str, Any]
    metrics: list[tuple[str, str]]
    kwh: float | None  # of the training (a fine-tune's base: its own, which we do not know)
    # of each fine-tuning that recorded its energy, oldest first (a chain's earlier ones too)
    finetuning_kwh: tuple[float, ...] = ()


def _pretraining_run(bundle: Path) -> _Run:
    meta = bundle / TRAINING_METADATA
    lineage = _json(meta / "lineage.json")
    training = _json(meta / "training.json")
    evaluation = _json(meta / "evaluation.json")
    tuned = meta / "finetune.json"  # fine-tuned after pretraining: its own energy
    return _Run(
        created=lineage["model"]["created"],
        about=f"{training['training']['steps']} steps of {training['batch']['tokens_per_step']} "
        f"tokens ({lineage['model']['stats']['tokens_seen']} tokens seen) on the training "
        "split of the bundle's training-data/; see TECHNICAL_REPORT.md",
        hyperparameters=training["training"],
        metrics=[(key, f"{float(evaluation[key]):.6g}") for key in _METRICS],
        kwh=recorded_kwh(training["energy"]),
        finetuning_kwh=_recorded(
            [run.kwh for run in earlier_runs(bundle)]
            + [recorded_kwh(_json(tuned).get("energy")) if tuned.is_file() else None]
        ),
    )


def _finetune_run(bundle: Path) -> _Run:
    meta = bundle / TRAINING_METADATA
    record = _json(meta / "finetune.json")
    base = record.get("base_model") or {}
    losses = [loss for _step, loss in validation_curve(meta / "finetune_log.jsonl")]
    earlier = earlier_runs(bundle)  # a chain on the foreign base: each earlier fine-tuning
    steps = record["training"]["steps"]
    about = (
        f"{steps} {'step' if steps == 1 else 'steps'} of {record.get('method')} fine-tuning "
        f"({record.get('output')}) of the base model {base.get('path')} on the fine-tuning "
        "data in the bundle's training-data/finetuning/; see training-metadata/finetune.json"
    )
    if earlier:
        chain = ", ".join(run.record for run in earlier)
        about = (
            f"{about}; before it, the earlier fine-tunes of the chain from the base model "
            f"({chain}), their data in training-data/finetuning-earlier/"
        )
    return _Run(
        created=_json(meta / "lineage.json")["finetune"]["created"],
        about=about,
        hyperparameters=record["training"],
        metrics=[("validation_loss", f"{losses[-1]:.6g}")] if losses else [],
        kwh=None,
        finetuning_kwh=_recorded(
            [run.kwh for run in earlier] + [recorded_kwh(record.get("energy"))]
        ),
    )


def _recorded(kwh: list[float | None]) -> tuple[float, ...]:
    return tuple(value for value in kwh if value is not None)


def _energy(spdx: Any, run: _Run) -> Any:
    """The kWh of training and of each fine-tuning that the run records state (none: unsaid)."""
    said = {
        name: [
            spdx.ai_EnergyConsumptionDescription(
                ai_energyQuantity=float(kwh), ai_energyUnit=spdx.ai_EnergyUnitType.kilowattHour
            )
            for kwh in values
        ]
        for name, values in (
            ("ai_trainingEnergyConsumption", () if run.kwh is None else (run.kwh,)),
            ("ai_finetuningEnergyConsumption", run.finetuning_kwh),
        )
        if values
    }
    return spdx.ai_EnergyConsumption(**said) if said else None


def _base_model(spdx: Any, ids: _Ids, info: Any, bundle: Path, model: Any) -> list[Any]:
    """The base model as an AI package the released one descends from: its name, licence and
    weight hashes from `base-model/` (bound to the fine-tune's record by its fingerprint)."""
    record = _json(bundle / TRAINING_METADATA / "finetune.json").get("base_model") or {}
    listing = _json(bundle / BASE_DIR / BASE_FILES)
    base = spdx.ai_AIPackage(_id=ids("base-model"), creationInfo=info)
    base.name = str(record.get("path") or record.get("name") or "base model")
    base.software_primaryPurpose = spdx.software_SoftwarePurpose.model
    if is_revision(record.get(REVISION)):  # the Hub's commit it was fine-tuned from
        base.software_packageVersion = record[REVISION]
    base.software_downloadLocation = "NOASSERTION"
    base.verifiedUsing = [
        _hash(spdx, digest.removeprefix("sha256:"))
        for rel, digest in sorted(listing.items())
        if rel.endswith((".safetensors", ".gguf", ".bin"))
    ]
    base.comment = f"Energy of its training: {base_said(base_statement(bundle / BASE_DIR))}"
    licence = _licence(spdx, ids, info, "base-model", record.get("license"))
    return [
        base,
        licence,
        _relation(spdx, ids, info, base, "hasDeclaredLicense", [licence]),
        _relation(spdx, ids, info, model, "descendantOf", [base]),
    ]


class _Ids:
    """Element ids (IRIs) under one namespace derived from the weights' hash."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, local: str) -> str:
        return f"{self.base}:{local}"


def _dataset(
    spdx: Any,
    ids: _Ids,
    info: Any,
    supplier: Any,
    name: str,
    data: DataLicences,
    digests: dict[str, str],
    model: Any,
    relation: str,
) -> list[Any]:
    package = spdx.dataset_DatasetPackage(_id=ids(name), creationInfo=info)
    package.name = name
    package.software_primaryPurpose = spdx.software_SoftwarePurpose.data
    package.dataset_datasetType = [spdx.dataset_DatasetType.text]
    package.suppliedBy = supplier
    package.releaseTime = info.created
    package.builtTime = info.created
    package.software_downloadLocation = "NOASSERTION"
    package.dataset_dataCollectionProcess = collection_process(data)
    files = []
    for rel in data.files:
        file = spdx.software_File(_id=ids(rel), creationInfo=info, name=rel)
        file.verifiedUsing = [_hash(spdx, digests[rel])]
        files.append(file)
    elements = [package, *files]
    if files:
        elements.append(_relation(spdx, ids, info, package, "contains", files))
    if data.documents:
        licence = _licence(spdx, ids, info, name, collection_expression(list(data.documents)))
        elements += [licence, _relation(spdx, ids, info, package, "hasDeclaredLicense", [licence])]
    elements.append(_relation(spdx, ids, info, model, relation, [package]))
    return elements


def collection_process(data: DataLicences) -> str:
    """How the data's licences are known, said of what its files are: Parquet shards carry
    each document's licence and source in columns; fine-tuning data given as a file carries
    the one licence declared for it when fine-tuning."""
    shards = [rel for rel in data.files if rel.endswith(".parquet")]
    declared = [rel for rel in data.files if not rel.endswith(".parquet")]
    said: list[Message] = []
    if shards:
        count = sum(sum(data.per_file[rel].values()) for rel in shards)
        documents = plural(count, _("1 document"), _("{count} documents", count=count))
        files = plural(len(shards), _("1 shard"), _("{count} shards", count=len(shards)))
        said.append(
            _(
                "{documents} in {shards}, each with its licence and source in the shards' "
                "`license` and `source` columns, admitted by gemeingut's licence gate",
                documents=documents,
                shards=files,
            )
        )
    if declared:
        licences = sorted({lic for rel in declared for lic in data.per_file[rel]})
        files = plural(
            len(declared),
            _("1 file of fine-tuning data"),
            _("{count} files of fine-tuning data", count=len(declared)),
        )
        said.append(
            _(
                "{files} under the licence declared at fine-tuning ({licences}), without a "
                "licence or source per document",
                files=files,
                licences=", ".join(licences),
            )
        )
    if not said:
        return text(_("no data files whose licence the bundle states"), "en")
    return "; ".join(text(part, "en") for part in said)


def _licence(spdx: Any, ids: _Ids, info: Any, name: str, expression: str | None) -> Any:
    return spdx.simplelicensing_LicenseExpression(
        _id=ids(f"licence:{name}"),
        creationInfo=info,
        simplelicensing_licenseExpression=expression or "NOASSERTION",
    )


def _relation(spdx: Any, ids: _Ids, info: Any, source: Any, kind: str, targets: list) -> Any:
    local = source.get_id().removeprefix(ids.base + ":")
    relation = spdx.Relationship(_id=ids(f"{kind}:{local}"), creationInfo=info)
    relation.from_ = source
    relation.relationshipType = getattr(spdx.RelationshipType, kind)
    relation.to = targets
    return relation


def _hash(spdx: Any, digest: str) -> Any:
    return spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=digest)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
