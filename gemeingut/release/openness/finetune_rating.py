"""The openness of a fine-tune of a foreign base model, read from its bundle: what the fine-tune
publishes itself, and what the base model publishes, or withholds.

A fine-tuned model is only as open as the model it came from: its training data is the base's
pretraining data *and* the fine-tuning data, its training code both runs' code. So those
components count as present only when the bundle holds the fine-tune's part and the base
publishes its own; the base's part is rated from `base-model/` (its card, config, licence files
and the list of every file of its folder, bound to the fine-tune's record by the base's
fingerprint) with the same logic `openness rate` applies to any model folder. Components the
fine-tune alone makes (its weights, card, evaluation, inference code, its technical report and
paper) are rated from the bundle; its architecture is under the licence of the code that
defines it (transformers'), which the fine-tuning did not change.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.errors import VerifyError
from gemeingut.i18n import Message, _, listed, plural, recorded, text
from gemeingut.release.finetune_publication import FINETUNE_STATEMENT
from gemeingut.release.layout import (
    AUDIT,
    CARD,
    FINETUNE_RECORD,
    MODEL,
    RELEASE_INFO,
    TRAINING_CODE,
    TRAINING_DATA,
    TRAINING_METADATA,
)
from gemeingut.release.openness.bundle_content import with_content
from gemeingut.release.openness.bundle_task_code import with_task_code
from gemeingut.release.openness.data_licence_text import data_licence_text
from gemeingut.release.openness.evidence import LOCKFILE, PAPER_DIR, TECHNICAL_REPORT, Evidence
from gemeingut.release.openness.licences import content_licence
from gemeingut.release.openness.mof import Found, components, explained, found, said
from gemeingut.release.openness.rating import code_check, code_openness, counted
from gemeingut.release.openness.result import assemble, check, gate_said, osaid_gate
from gemeingut.release.openness.treatment import mof_treatment
from gemeingut.release.openness.weights_licence_text import (
    FINE_TUNE_REMEDY,
    licence_path,
    weights_licence_text,
)

BASE_DIR = "base-model"
BASE_FILES = "files.json"  # every file of the base model's folder with its sha256
FINETUNE_DATA = f"{TRAINING_DATA}/finetuning"
CODE = f"{TRAINING_CODE}/gemeingut"
# Components the base's pretraining shares in: present only when the base publishes them too.
SHARED = frozenset(
    {
        "Datasets",
        "Data preprocessing code",
        "Model metadata",
        "Model parameters (Intermediate)",
        "Training code",
    }
)
# Components about the pretraining alone (the fine-tune's data is published whole instead;
# its data statement, where the release has one, counts with the base's: `_own_data_card`).
BASE_ONLY = frozenset({"Data card", "Technical report", "Research paper"})
# Documents about the fine-tuned model itself, which count as its own where the bundle has them.
OWN_DOCUMENTS = {"Technical report": TECHNICAL_REPORT, "Research paper": PAPER_DIR}
OWN_PATHS: dict[str, tuple[str, ...]] = {
    "Datasets": (FINETUNE_DATA,),
    "Data preprocessing code": (f"{CODE}/model/finetune_data.py",),
    "Model architecture": (f"{MODEL}/config.json",),
    "Model parameters (Final)": (f"{MODEL}/model.safetensors",),
    "Model metadata": (FINETUNE_RECORD,),
    "Model parameters (Intermediate)": (),  # the fine-tune's checkpoints are not shipped
    "Training code": (f"{CODE}/model/finetune.py",),
    "Inference code": (f"{CODE}/serve/app.py",),
    "Evaluation code": (f"{CODE}/model/finetune.py",),  # the validation loss is computed there
    "Evaluation data": (FINETUNE_DATA,),
    "Evaluation results": (f"{TRAINING_METADATA}/finetune_log.jsonl",),
    "Supporting libraries and tools": (f"{TRAINING_CODE}/{LOCKFILE}",),
    "Model card": (CARD,),
    "Sample model outputs": (f"{AUDIT}/logs",),
}
# A LoRA adapter is a model only with its base: the base's weights and architecture count too.
ADAPTER_CONFIG = f"{MODEL}/adapter_config.json"
ADAPTER_PATHS = {
    "Model architecture": (ADAPTER_CONFIG,),
    "Model parameters (Final)": (f"{MODEL}/adapter_model.safetensors",),
}
ADAPTER_SHARED = frozenset(ADAPTER_PATHS)
REQUIRED_FOLDERS = (MODEL, TRAINING_DATA, TRAINING_CODE, TRAINING_METADATA, BASE_DIR)
# The five artifacts, as a check's detail names them (in the reader's language when shown).
ARTIFACTS = {
    "training data": _("training data"),
    "training code": _("training code"),
    "training metadata": _("training metadata"),
    "test data": _("test data"),
    "model": _("model"),
}


def is_finetune_bundle(bundle: Path) -> bool:
    return (bundle / BASE_DIR).is_dir()


def finetune_record(bundle: Path) -> dict[str, Any]:
    """The fine-tune's record: its base, data and run."""
    path = bundle / FINETUNE_RECORD
    if not path.is_file():
        raise VerifyError(
            _("missing: {file}", file=FINETUNE_RECORD), _("obtain an unmodified copy")
        )
    return json.loads(path.read_text(encoding="utf-8"))


def base_record(bundle: Path) -> dict[str, Any]:
    """The fine-tune's record of its base model (name, licence, fingerprint …)."""
    return finetune_record(bundle).get("base_model") or {}


def base_listing(bundle: Path) -> dict[str, str]:
    path = bundle / BASE_DIR / BASE_FILES
    if not path.is_file():
        raise VerifyError(
            _("missing: {file}", file=f"{BASE_DIR}/{BASE_FILES}"), _("obtain an unmodified copy")
        )
    listing = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(listing, dict):
        raise VerifyError(
            _("{file} is not a file list", file=f"{BASE_DIR}/{BASE_FILES}"),
            _("obtain an unmodified copy"),
        )
    return listing


def base_problems(bundle: Path) -> list[Message]:
    """The base's file list must be the one the fine-tune recorded (its fingerprint is the hash
    of that list, and a newer record keeps the list itself), and the copies of its card,
    config and licence must be the listed files."""
    from gemeingut.hashing import sha256_file
    from gemeingut.model.base_model import listing_fingerprint
    from gemeingut.release.openness.base_release import release_problems

    listing, record = base_listing(bundle), base_record(bundle)
    problems = []
    if listing_fingerprint(listing) != record.get("fingerprint"):
        problems.append(
            _(
                "{file} is not the file list of the base model the fine-tune records "
                "({fingerprint})",
                file=f"{BASE_DIR}/{BASE_FILES}",
                fingerprint=str(record.get("fingerprint")),
            )
        )
    kept = record.get("files")  # the record's own copy of the list (newer fine-tunes)
    if kept is not None and kept != listing:
        problems.append(
            _(
                "{record}: the base model's files it lists are not those of {file}",
                record=FINETUNE_RECORD,
                file=f"{BASE_DIR}/{BASE_FILES}",
            )
        )
    folder = bundle / BASE_DIR
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == BASE_FILES or not path.is_file():
            continue
        if listing.get(rel) != "sha256:" + sha256_file(path):
            problems.append(
                _("{file} is not the base model's {name}", file=f"{BASE_DIR}/{rel}", name=rel)
            )
    return [*problems, *release_problems(bundle)]  # a base that is our release: B's copies


def base_copies(bundle: Path) -> list[str]:
    """The base's own files copied into base-model/ (its card, config, licence files: those
    its folder has), its file list aside."""
    folder = bundle / BASE_DIR
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != BASE_FILES)


def base_rating(bundle: Path) -> tuple[dict[str, Any], str]:
    """The base's rating and where its evidence lies: the rating of our release the base is,
    where B recorded that release intact (`base_release.py`), else the rating of the base's
    files in `base-model/`, as `openness rate` rates any model folder."""
    from gemeingut.release.openness.base_release import base_release
    from gemeingut.release.openness.foreign import rate_folder

    released = base_release(bundle)
    if released is not None:
        return released.rating, released.evidence
    record = base_record(bundle)
    return rate_folder(
        bundle / BASE_DIR, sorted(base_listing(bundle)), _recorded_name(record)
    ), BASE_DIR


def base_paragraph(bundle: Path, language: str) -> str:
    """The card's paragraph on the base model, written from `base-model/` (and, for a base
    that is our release, `base-release/`) alone, so that `verify` writes it again and
    compares."""
    from gemeingut.release.openness.base_release import base_release, not_intact, release_paragraph

    record, listing = base_record(bundle), base_listing(bundle)
    rated, _where = base_rating(bundle)
    base = str(record.get("path") or "") or shown_base(record)
    released = base_release(bundle)
    if released is not None:
        words = release_paragraph(released, text(base, language), language)
    else:
        paragraph = _(
            "`{base}` is not part of this bundle: `{folder}/` holds copies of its files {copies} "
            "and the list of all {count} files of its folder with their sha256 (their hash is "
            "the base's fingerprint recorded by the fine-tuning). Rated from them as `gemeingut "
            "openness rate` rates any model folder: Model Openness Framework: {mof}; OSI's Open "
            "Source AI Definition: {osaid}.",
            base=base,
            folder=BASE_DIR,
            copies=", ".join(f"`{name}`" for name in base_copies(bundle)),
            count=len(listing),
            mof=explained(rated["mof"]["label"], language),
            osaid=gate_said(rated["osaid"], language),
        )
        broken = not_intact(bundle, language)
        words = " ".join(text(part, language) for part in (paragraph, broken) if part is not None)
    withheld = [row["name"] for row in rated["mof"]["components"] if not row["present"]]
    if not withheld:
        return words
    missing = [
        _(
            "It does not publish: {components}.",
            components=", ".join(said(name, language) for name in withheld),
        )
    ]
    shared = [name for name in withheld if name in SHARED]  # what this model inherits of them
    if shared:
        missing.append(
            _(
                "The parts of this model that come from its pretraining ({components}) are "
                "therefore not open either.",
                components=", ".join(said(name, language) for name in shared),
            )
        )
    return " ".join([words, *(text(sentence, language) for sentence in missing)])


def shown_base(record: dict[str, Any]) -> Message | str:
    """The base model as a reader is told of it: its recorded name, else the reference the
    bundle publishes (its Hub id or folder name), else "base model" in the reader's language
    (a hand-edited record may name neither)."""
    return _recorded_name(record) or str(record.get("path") or "") or _("base model")


def _recorded_name(record: dict[str, Any]) -> str | None:
    """The base's name as recorded, for the base's own rating (its folder's name stands in
    where none is)."""
    return str(record.get("name") or "") or None


def _listed(artifacts: list[str]) -> Message:
    """Artifact names joined, each said in the reader's language (the record keeps English)."""
    return listed([ARTIFACTS[name] for name in artifacts])


def rate_finetune(evidence: Evidence) -> dict[str, Any]:
    """The whole openness result of a fine-tune bundle (the shape of every rating)."""
    bundle = evidence.root
    record = base_record(bundle)
    base_name = shown_base(record)
    base, where = base_rating(bundle)
    base_parts = {
        row["name"]: {**row, "evidence": [f"{where}: {p}" for p in row["evidence"]]}
        for row in base["mof"]["components"]
    }
    kinds = _licences(evidence, base)
    parts = [
        _part(component, evidence, kinds, base_parts[component.name], base_name)
        for component in components()
    ]
    by_name = {p.component.name: p for p in parts}
    artifacts = {
        "training data": "Datasets",
        "training code": "Training code",
        "training metadata": "Model metadata",
        "test data": "Evaluation data",
        "model": "Model parameters (Final)",
    }
    absent = [a for a, component in artifacts.items() if not by_name[component].present]
    withheld = [a for a in absent if evidence.has(OWN_PATHS[artifacts[a]][0])]
    missing = [a for a in absent if a not in withheld]
    reasons = [
        *([_("not in this bundle: {parts}", parts=_listed(missing))] if missing else []),
        *(
            [
                _(
                    "withheld by the base model {base}: {parts}",
                    base=base_name,
                    parts=_listed(withheld),
                )
            ]
            if withheld
            else []
        ),
    ]
    checks = [
        check(
            "artifacts.five",
            not absent,
            BASE_DIR,
            _("{first}; {second}", first=reasons[0], second=reasons[1])
            if len(reasons) == 2
            else reasons[0]
            if reasons
            else _(
                "training code, training data, test data, training metadata and model, of the "
                "fine-tune and of its base"
            ),
        ),
        _licence_check("licence.weights", kinds["weights"], RELEASE_INFO, content_licence),
        *weights_licence_text(evidence, kinds["weights"], FINE_TUNE_REMEDY),
        code_check(evidence),
        _licence_check("licence.documents", kinds["documents"], RELEASE_INFO, content_licence),
        _data_check(evidence),
        *data_licence_text(evidence),
        _base_check(record, kinds["weights"]),
    ]
    data_card = by_name["Data card"]
    own_card = evidence.has(FINETUNE_STATEMENT)
    osaid = osaid_gate(
        parts,
        data_card.present and by_name["Datasets"].present,
        (
            _(
                "the data cards of the base and of the fine-tuning data ({files}) and the "
                "fine-tuning data",
                files=", ".join(data_card.paths),
            )
            if own_card
            else _(
                "the base's data card ({files}) and the fine-tuning data",
                files=", ".join(data_card.paths),
            )
        )
        if data_card.present and by_name["Datasets"].present
        else _(
            "needs information on the data of the base model {base} as well as of the fine-tune",
            base=base_name,
        ),
    )
    release = {**evidence.release, "treatment": mof_treatment(finetune_record(bundle))}
    return assemble(
        parts, kinds, checks, osaid, release, weights_licence_path=licence_path(evidence.root)
    )


def _licences(evidence: Evidence, base: dict[str, Any]) -> dict[str, str | None]:
    declared = evidence.release.get("licenses", {})
    data = list(evidence.training_data.documents)
    return {
        "weights": declared.get("weights"),
        "documents": declared.get("documents"),
        "code": evidence.code_licence,
        "data": " AND ".join(sorted(data)) if data else None,
        "base": base["licenses"].get("weights"),
    }


def _part(
    component: Any,
    evidence: Evidence,
    kinds: dict[str, str | None],
    base_row: dict[str, Any],
    base_name: Message | str,
) -> Found:
    name = component.name
    base_found = Found(
        component,
        tuple(base_row["evidence"]),
        base_row["license"],
        base_row["license_open"],
        base_row["detail"],
    )
    adapter = evidence.has(ADAPTER_CONFIG)
    if name in OWN_DOCUMENTS and evidence.has(OWN_DOCUMENTS[name]):
        return _own_document(component, evidence, kinds, base_found, base_name)
    if name == "Data card" and evidence.has(FINETUNE_STATEMENT):
        return _own_data_card(component, kinds, base_found, base_name)
    if name in OWN_DOCUMENTS and not base_found.present:  # the bundle holds none either
        return _neither_publishes(base_found, OWN_DOCUMENTS[name], base_name)
    if name in BASE_ONLY:
        return _withheld(base_found, base_name) if not base_found.present else base_found
    if name == "Model architecture" and not adapter:
        return _architecture(component, evidence, kinds)
    paths = ADAPTER_PATHS.get(name, OWN_PATHS[name]) if adapter else OWN_PATHS[name]
    present = bool(paths) and all(evidence.has(p) for p in paths)
    code = code_openness(evidence) if component.content_type == "code" else None
    own = with_content(
        found(component, list(paths) if present else [], _kind_licence(component, kinds), code),
        evidence,
    )
    if name == "Evaluation code":  # the lm-eval tasks its audit ran
        own = with_task_code(own, evidence, _kind_licence(component, kinds), code)
    shared = SHARED | ADAPTER_SHARED if adapter else SHARED
    if name not in shared or not own.present:
        return own
    if not base_found.present:
        return _withheld(own, base_name)
    if not base_found.licence_open:
        return Found(
            component,
            own.paths + base_found.paths,
            base_found.licence,
            False,
            recorded(_("base model: {detail}", detail=base_found.detail)),
        )
    if name == "Model architecture":  # an adapter's: the base's, which transformers defines
        return replace(base_found, paths=own.paths + base_found.paths)
    return Found(component, own.paths + base_found.paths, own.licence, own.licence_open, own.detail)


def _own_document(
    component: Any,
    evidence: Evidence,
    kinds: dict[str, str | None],
    base_found: Found,
    base_name: Message | str,
) -> Found:
    """A document the bundle holds about the fine-tuned model (its technical report, its
    paper): it covers the fine-tuning only, so the model has one when the base publishes its
    own too (as every component the base shares); without it the detail says what there is."""
    path = OWN_DOCUMENTS[component.name]
    own = with_content(found(component, [path], kinds["documents"]), evidence)
    if not own.present:  # empty, or no paper by `paper.py`'s rule: the base's counts alone
        return base_found if base_found.present else own
    if not base_found.present:
        return fine_tuning_only(own, path, base_name)
    return replace(own, paths=own.paths + base_found.paths)


def _own_data_card(
    component: Any, kinds: dict[str, str | None], base_found: Found, base_name: Message | str
) -> Found:
    """The data statement of the fine-tuning data (`release --publication`): it describes the
    fine-tuning data only, so the model has a data card where the base publishes one of its
    pretraining data too, as for the fine-tune's own report; without it the detail says what
    the bundle holds."""
    own = found(component, [FINETUNE_STATEMENT], kinds["documents"])
    if base_found.present:
        return replace(own, paths=own.paths + base_found.paths)
    why = _(
        "{path} describes the fine-tuning data only; the base model {base} publishes no data "
        "card of its own training data",
        path=FINETUNE_STATEMENT,
        base=base_name,
    )
    return _missing(own, why)


def fine_tuning_only(own: Found, path: str, base_name: Message | str) -> Found:
    """The fine-tune's own report or paper, where its base publishes none of its training."""
    why = _(
        "{path} covers the fine-tuning only; the base model {base} publishes none of its own "
        "training",
        path=path,
        base=base_name,
    )
    return _missing(own, why)


def _architecture(component: Any, evidence: Evidence, kinds: dict[str, str | None]) -> Found:
    """The fine-tuned model's architecture, from its own config.json: fine-tuning changes no
    architecture, so its licence is that of the code defining it (transformers' for a model
    type transformers implements), not gemeingut's, whose code only trained it."""
    from gemeingut.release.openness.foreign import folder_architecture

    if not evidence.has(f"{MODEL}/config.json"):
        return found(component, [], kinds["code"])
    part = folder_architecture(component, evidence.root / MODEL, kinds["weights"])
    return replace(part, paths=tuple(f"{MODEL}/{p}" for p in part.paths))


def _neither_publishes(part: Found, path: str, base_name: Message | str) -> Found:
    """A report or paper that neither this bundle holds about the fine-tuned model nor its
    base publishes: said of both, since the release could carry the fine-tune's own."""
    why = _(
        "this bundle holds no {path} about the fine-tuned model, and the base model {base} "
        "publishes none of its own",
        path=path,
        base=base_name,
    )
    return _missing(part, why)


def _withheld(part: Found, base_name: Message | str) -> Found:
    return _missing(part, _("the base model {base} does not publish it", base=base_name))


def _missing(part: Found, why: Message) -> Found:
    """`part` as the model does not have it (no files, not open), with why in the reader's
    language."""
    return Found(part.component, (), part.licence, False, recorded(why))


def _kind_licence(component: Any, kinds: dict[str, str | None]) -> str | None:
    if component.content_type == "code":
        return kinds["code"]
    if component.name in ("Datasets", "Evaluation data"):
        return kinds["data"]
    if component.name.startswith("Model parameters"):
        return kinds["weights"]
    return kinds["documents"]


def _licence_check(check_id: str, licence: str | None, where: str, judge) -> dict[str, Any]:
    verdict = judge(licence)
    return check(check_id, verdict.open, where, verdict.detail)


def _data_check(evidence: Evidence) -> dict[str, Any]:
    data = evidence.training_data
    if not data.files:
        return check(
            "licence.training-data",
            False,
            FINETUNE_DATA,
            _("the fine-tuning data's licence is not stated (fine-tune with --data-license)"),
        )
    refused = sorted(lic for lic in data.documents if not decide(lic).admitted)
    if refused:
        return check(
            "licence.training-data",
            False,
            FINETUNE_DATA,
            _("not open: {licences}", licences=", ".join(refused)),
        )
    total = sum(data.documents.values())
    return check(
        "licence.training-data",
        True,
        FINETUNE_DATA,
        plural(
            total,
            _("{counted}, under an open licence", counted=counted(data)),
            _("{counted}, all under open licences", counted=counted(data)),
        ),
    )


def _base_check(record: dict[str, Any], weights: str | None) -> dict[str, Any]:
    """The base model's licence: open, and it allows the release's licence for a derivative."""
    from gemeingut.model.base_model import BaseModelFacts, release_refusal

    licence = record.get("license")
    verdict = content_licence(licence)
    if not verdict.open:
        return check(
            "licence.base", False, FINETUNE_RECORD, _("base model: {detail}", detail=verdict.detail)
        )
    facts = BaseModelFacts(**{key: record.get(key) for key in BaseModelFacts.__dataclass_fields__})
    refusal = release_refusal(facts, weights)
    if refusal:
        return check("licence.base", False, FINETUNE_RECORD, refusal[0])
    return check(
        "licence.base",
        True,
        FINETUNE_RECORD,
        _("{base} allows a derivative under {licence}", base=str(licence), licence=str(weights)),
    )
