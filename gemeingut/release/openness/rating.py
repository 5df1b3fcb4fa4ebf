"""`openness.json`: every openness check of a release with pass/fail and its evidence file, the
MOF class and the OSAID gate, computed from the bundle's files (`evidence.py`).

The same function runs at release (to write the file and the card's openness sentence) and in
`verify` (to compare): an edited licence, a deleted artifact or a changed claim shows up as a
difference. The result holds no times or paths of this machine, so equal bundles rate equal.
"""

from __future__ import annotations

from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.i18n import Message, _, plural
from gemeingut.release.layout import (
    AUDIT,
    CARD,
    FINETUNE_RECORD,
    FIVE_ARTIFACTS,
    MODEL,
    RELEASE_INFO,
    TEST_DATA,
    TRAINING_CODE,
    TRAINING_DATA,
    TRAINING_METADATA,
)
from gemeingut.release.openness.bundle_content import with_content
from gemeingut.release.openness.bundle_task_code import with_task_code
from gemeingut.release.openness.data_licence_text import data_licence_text
from gemeingut.release.openness.evidence import (
    CHECKPOINTS,
    CODE_LICENCE_FILE,
    DATA_STATEMENT,
    LOCKFILE,
    NO_LICENCE,
    PAPER_DIR,
    TECHNICAL_REPORT,
    DataLicences,
    Evidence,
)
from gemeingut.release.openness.licences import (
    Openness,
    collection_expression,
    content_licence,
    describe_conflicts,
    licensed_code,
    share_alike_conflicts,
)
from gemeingut.release.openness.mof import Found, components, found
from gemeingut.release.openness.result import assemble, check, osaid_gate
from gemeingut.release.openness.treatment import recorded_treatment
from gemeingut.release.openness.weights_licence_text import (
    PRETRAINING_REMEDY,
    licence_path,
    weights_licence_text,
)

CODE = f"{TRAINING_CODE}/gemeingut"
# Where each MOF component lies in a gemeingut bundle: all listed paths must exist and hold
# what the component needs (`bundle_content.py`: no empty file or folder, a paper of real length).
BUNDLE_PATHS: dict[str, tuple[str, ...]] = {
    "Datasets": (TRAINING_DATA, TEST_DATA),
    "Data preprocessing code": (f"{CODE}/data/curate.py",),
    "Model architecture": (f"{CODE}/model/presets.py", f"{MODEL}/config.json"),
    "Model parameters (Final)": (f"{MODEL}/model.safetensors",),
    "Model metadata": (f"{TRAINING_METADATA}/training.json",),
    "Model parameters (Intermediate)": (f"{TRAINING_METADATA}/{CHECKPOINTS}",),
    "Training code": (f"{CODE}/model/pretrain.py",),
    "Inference code": (f"{CODE}/serve/app.py",),
    "Evaluation code": (f"{CODE}/evaluate/perplexity.py",),
    "Evaluation data": (TEST_DATA,),
    "Evaluation results": (f"{TRAINING_METADATA}/evaluation.json",),
    "Supporting libraries and tools": (f"{TRAINING_CODE}/{LOCKFILE}",),
    "Model card": (CARD,),
    "Data card": (f"{TRAINING_DATA}/{DATA_STATEMENT}",),
    "Technical report": (TECHNICAL_REPORT,),
    "Research paper": (PAPER_DIR,),
    "Sample model outputs": (f"{AUDIT}/logs",),
}


def licences(evidence: Evidence) -> dict[str, str | None]:
    """The release's licence per kind: declared (weights, documents) or read (code, data)."""
    declared = evidence.release.get("licenses", {})
    data = list(evidence.training_data.documents) + list(evidence.test_data.documents)
    return {
        "weights": declared.get("weights"),
        "documents": declared.get("documents"),
        "code": evidence.code_licence,
        "data": collection_expression(data) if data else None,
        "test_data": collection_expression(list(evidence.test_data.documents))
        if evidence.test_data.documents
        else None,
    }


def code_openness(evidence: Evidence) -> Openness:
    """The code's licence: declared in `pyproject.toml`, its text in `LICENSE` (both kinds of
    bundle)."""
    return licensed_code(evidence.code_licence, evidence.code_licence_text, CODE_LICENCE_FILE)


def bundle_components(evidence: Evidence) -> list[Found]:
    kinds = licences(evidence)
    code = code_openness(evidence)
    parts = []
    for component in components():
        paths = BUNDLE_PATHS[component.name]
        present = all(evidence.has(p) for p in paths)
        verdict = None
        if component.content_type == "code":
            licence, verdict = kinds["code"], code
        elif component.name == "Datasets":
            licence = kinds["data"]
            present = present and bool(evidence.training_data.files)
        elif component.name == "Evaluation data":
            licence = kinds["test_data"]
            present = present and bool(evidence.test_data.files)
        elif component.name.startswith("Model parameters"):
            licence = kinds["weights"]
        else:
            licence = kinds["documents"]
        part = with_content(
            found(component, list(paths) if present else [], licence, verdict), evidence
        )
        if component.name == "Evaluation code":  # the lm-eval tasks its audit ran
            part = with_task_code(part, evidence, licence, verdict)
        parts.append(part)
    return parts


def rate(evidence: Evidence) -> dict[str, Any]:
    """The whole openness result of a bundle."""
    kinds = licences(evidence)
    parts = bundle_components(evidence)
    checks = [
        check(
            "artifacts.five",
            all(evidence.has(a) for a in FIVE_ARTIFACTS),
            "MANIFEST",
            _(
                "missing: {file}",
                file=", ".join(a for a in FIVE_ARTIFACTS if not evidence.has(a)),
            )
            if not all(evidence.has(a) for a in FIVE_ARTIFACTS)
            else _("training code, training data, test data, training metadata and model"),
        ),
        _licence_check("licence.weights", kinds["weights"], RELEASE_INFO, content_licence),
        *weights_licence_text(evidence, kinds["weights"], PRETRAINING_REMEDY),
        code_check(evidence),
        _licence_check("licence.documents", kinds["documents"], RELEASE_INFO, content_licence),
        _data_check("licence.training-data", evidence.training_data, TRAINING_DATA),
        _data_check("licence.test-data", evidence.test_data, TEST_DATA),
        *data_licence_text(evidence),
        _share_alike_check(evidence, kinds["weights"]),
    ]
    data = evidence.training_data
    by_name = {p.component.name: p for p in parts}
    documented = (
        by_name["Data card"].present
        and by_name["Datasets"].present
        and not data.documents.get(NO_LICENCE)
    )
    osaid = osaid_gate(
        parts,
        documented,
        _("data card, and every document's licence and source in the shards")
        if documented
        else _(
            "needs the data card ([data.publication] in the recipe) and a licence and source "
            "for every document"
        ),
    )
    treatment = recorded_treatment(evidence.root / FINETUNE_RECORD)
    release = {**evidence.release, "treatment": treatment}
    return assemble(
        parts, kinds, checks, osaid, release, weights_licence_path=licence_path(evidence.root)
    )


def code_check(evidence: Evidence) -> dict[str, Any]:
    verdict = code_openness(evidence)
    return check("licence.code", verdict.open, f"{TRAINING_CODE}/pyproject.toml", verdict.detail)


def _licence_check(check_id: str, licence: str | None, where: str, judge) -> dict[str, Any]:
    verdict = judge(licence)
    return check(check_id, verdict.open, where, verdict.detail)


def _data_check(check_id: str, data: DataLicences, folder: str) -> dict[str, Any]:
    """Every document's licence open; a refusal names the licences and their sources."""
    if not data.files:
        return check(check_id, False, folder, _("no documents"))
    refused = {lic: data.sources[lic] for lic in data.documents if not decide(lic).admitted}
    if refused:
        named = "; ".join(
            f"{lic} ({data.documents[lic]}: {', '.join(sorted(src))})"
            for lic, src in sorted(refused.items())
        )
        return check(
            check_id, False, folder, _("not open (documents: sources): {named}", named=named)
        )
    total = sum(data.documents.values())
    documents = plural(
        total,
        _("{counted}, under an open licence", counted=counted(data)),
        _("{counted}, all under open licences", counted=counted(data)),
    )
    return check(check_id, True, folder, documents)


def counted(data: DataLicences) -> Message:
    """How much data there is, each kind by its own name: documents of the shards, examples
    of fine-tuning files (a file of 32 chats is 32 examples, not one document)."""
    shards = sum(data.documents.values()) - data.examples
    documents = plural(shards, _("1 document"), _("{count} documents", count=str(shards)))
    examples = plural(
        data.examples,
        _("1 fine-tuning example"),
        _("{count} fine-tuning examples", count=str(data.examples)),
    )
    if not data.examples:
        return documents
    if not shards:
        return examples
    return _("{documents} + {examples}", documents=documents, examples=examples)


def _share_alike_check(evidence: Evidence, weights: str | None) -> dict[str, Any]:
    """Share-alike data must be carried: the weights go out under the same licence."""
    sources: dict[str, set[str]] = {}
    for data in (evidence.training_data, evidence.test_data):
        for lic, found_in in data.sources.items():
            sources.setdefault(lic, set()).update(found_in)
    if not share_alike_conflicts(None, sources):  # nothing to carry: said so, not "carried"
        return check(
            "licence.share-alike", True, RELEASE_INFO, _("no share-alike licences in the data")
        )
    conflicts = share_alike_conflicts(weights, sources)
    if conflicts:
        return check(
            "licence.share-alike",
            False,
            RELEASE_INFO,
            _(
                "the weights' licence {licence} does not carry the share-alike data: {conflicts}",
                licence=str(weights),
                conflicts=describe_conflicts(conflicts),
            ),
        )
    return check(
        "licence.share-alike", True, RELEASE_INFO, _("carried by {licence}", licence=str(weights))
    )
