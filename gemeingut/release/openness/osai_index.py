"""`osai-index.yaml`: the release graded on the European Open Source AI Index's 14 parameters
(osai-index.eu; its YAML layout), each open, partial or closed, with the evidence file and why.

A class left empty means not applicable, as in the index. The index is filled in by hand for
other models; here every grade follows from a component
found in the bundle (`rating["mof"]["components"]`), a licence check or a file, so it can be
recomputed. "Paper" means peer-reviewed, which no file can show: a paper in `paper/` counts as
a preprint, and the peer-review grade stays closed unless the recipe says otherwise.

Every link is a path of the bundle; every note is written in English (`notes`, the index's own
field) and in each other language of the catalogue beside it (`notes_de`: `notes.py`). A
fine-tune of a foreign base is graded with its base: the base's weights by the file list in
`base-model/` and its licence, the training code and the hardware partly (the fine-tuning's are
in the release, the base's pretraining's are not unless it publishes them), and what the base
withholds is linked to that file list.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from gemeingut.i18n import Message, _
from gemeingut.recipe import is_hub_id
from gemeingut.release.layout import CARD, FINETUNE_RECORD, MODEL, TRAINING_METADATA
from gemeingut.release.openness.base_release import BASE_RELEASE, base_release
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    BASE_FILES,
    BASE_ONLY,
    OWN_PATHS,
    SHARED,
)
from gemeingut.release.openness.mof import SAID
from gemeingut.release.openness.notes import in_languages

OSAI_FILE = "osai-index.yaml"
CRITERIA = "https://osai-index.eu/contribute"
Grade = tuple[str, str, Message | str]  # class, evidence paths, why


def osai_index(evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    parts = {c["name"]: c for c in rating["mof"]["components"]}
    checks = {c["id"]: c for c in rating["checks"]}
    release = evidence.release
    tuned = evidence.has(FINETUNE_RECORD)  # the fine-tune's record: also one on plain text

    def component(name: str, *, own_part: bool = False) -> Grade:
        """`own_part`: a fine-tune's own part of a component its base withholds is partly open."""
        part, shown = parts[name], SAID.get(name, name)
        if not part["present"]:
            notes = _("{component}: {detail}", component=shown, detail=part["detail"])
            where = absent_evidence(evidence, name, own=own_part)
            own = own_part and any(evidence.has(p) for p in OWN_PATHS.get(name, ()))
            if own and evidence.has(BASE_DIR):
                return "partial", where, _("the fine-tuning's part is in the release; {notes}",
                                           notes=notes)  # fmt: skip
            return "closed", where, notes
        where = ", ".join(bundle_paths(evidence, part["evidence"]))
        if not part["license_open"]:
            return "partial", where, _("{component} present, but {detail}", component=shown,
                                       detail=part["detail"])  # fmt: skip
        return "open", where, part["detail"]

    grades: dict[str, Grade] = {
        "datasources_basemodel": component("Datasets"),
        "datasources_endmodel": _finetuning_data(evidence, tuned),
        "weights_basemodel": _base_weights(evidence, parts, checks, tuned),
        "weights_endmodel": component("Model parameters (Final)"),
        "trainingcode": component("Training code", own_part=True),
        "code": _code_documentation(evidence),
        "hardware_architecture": _hardware(evidence, parts),
        "preprint": component("Research paper"),
        "paper": ("closed", "", _("peer review cannot be shown by a file; not declared")),
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
            **in_languages(
                "notes",
                _("Graded by gemeingut from the release's files; criteria: {url}", url=CRITERIA),
            ),
        },
        "org": {"name": ", ".join(release.get("authors") or []) or "undisclosed"},
    }
    for key, (grade, link, notes) in grades.items():
        index[key] = {"class": grade, "link": link, **in_languages("notes", notes)}
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


def _finetuning_data(evidence: Evidence, tuned: bool) -> Grade:
    if not tuned:
        return "", "", _("not applicable: no fine-tuning, the end model is the base model")
    files = [f for f in evidence.training_data.files if "/finetuning/" in f]
    if not files:
        return "closed", "", _("the fine-tuning data is not in the release")
    return "open", ", ".join(files), _("fine-tuning data published with its licence")


def _base_weights(
    evidence: Evidence, parts: dict[str, Any], checks: dict[str, Any], tuned: bool
) -> Grade:
    final = parts["Model parameters (Final)"]
    if evidence.has(BASE_DIR):
        return _foreign_base_weights(evidence, checks)
    if not tuned:
        grade = "open" if final["present"] and final["license_open"] else "closed"
        return grade, ", ".join(final["evidence"]), _("the released model is the base model")
    snapshots = parts["Model parameters (Intermediate)"]
    if snapshots["present"] and snapshots["license_open"]:
        where = ", ".join(snapshots["evidence"])
        return "open", where, _("the base model's weights along pretraining, up to its last step")
    return "closed", "", _("the base model's weights are not in the release")


def _foreign_base_weights(evidence: Evidence, checks: dict[str, Any]) -> Grade:
    """A foreign base's weights: named with their sha256 in its file list, under the licence
    the fine-tuning recorded; published by the base's provider, not in this bundle."""
    listing = _json(evidence, f"{BASE_DIR}/{BASE_FILES}")
    weights = [rel for rel in sorted(listing) if rel.endswith((".safetensors", ".gguf", ".bin"))]
    where = f"{BASE_DIR}/{BASE_FILES}, {FINETUNE_RECORD}"
    if not weights:
        return "closed", where, _("the base model's file list names no weights")
    licence = (_json(evidence, FINETUNE_RECORD).get("base_model") or {}).get("license")
    said = _(
        "the base model's weights ({files}, listed with their sha256) under {licence}, not in "
        "this bundle: {published}",
        files=", ".join(weights),
        licence=licence or _("no named licence"),
        published=_published(evidence),
    )
    verdict = checks.get("licence.base")
    if verdict is not None and verdict["passed"]:
        return "open", where, said
    detail = verdict["detail"] if verdict else _("licence not checked")
    return "partial", where, _("{said}; {detail}", said=said, detail=detail)


def _published(evidence: Evidence) -> Message:
    """Where the base's weights come from, as far as the bundle shows it: a base that is the
    model of one of our releases, intact when this one was made, is published in that
    release's bundle; a Hub id read from the Hugging Face cache (a revision recorded) names
    the copy the fine-tuning read; a Hub id the publisher stated at release (`--base-hub-id`)
    is not checked, and is said so; of any other base the bundle records no place."""
    released = base_release(evidence.root) if evidence.has(BASE_RELEASE) else None
    if released is not None and released.name:
        return _("the bundle of our release {name} publishes them", name=released.name)
    base = _json(evidence, FINETUNE_RECORD).get("base_model") or {}
    reference, revision = str(base.get("path") or ""), base.get("revision")
    if revision and is_hub_id(reference):
        return _(
            "the fine-tuning read them from the Hugging Face cache's copy of {hub_id} "
            "(revision {revision})",
            hub_id=reference,
            revision=str(revision),
        )
    stated = evidence.release.get("base_hub_id")
    if stated:
        return _(
            "the Hub id {hub_id} under which its provider would publish them is the "
            "publisher's statement (--base-hub-id), not checked",
            hub_id=str(stated),
        )
    return _("the bundle records no place where they are published")


def _json(evidence: Evidence, rel: str) -> dict[str, Any]:
    path = evidence.root / rel
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _code_documentation(evidence: Evidence) -> Grade:
    if not evidence.has("training-code/gemeingut"):
        return "closed", "", _("no code in the release")
    if evidence.has("training-code/recipe.toml"):
        return "open", "training-code/", _("the source that ran and its recipe")
    return "partial", "training-code/", _("the source that ran; no recipe")


def _hardware(evidence: Evidence, parts: dict[str, Any]) -> Grade:
    if evidence.has(BASE_DIR):
        return _finetune_hardware(evidence, parts)
    where, config = f"{TRAINING_METADATA}/training.json", f"{MODEL}/config.json"
    if evidence.has(where) and evidence.has(config):
        return "open", f"{where}, {config}", _("architecture and training hardware recorded")
    return "closed", "", _("no architecture or hardware record")


def _finetune_hardware(evidence: Evidence, parts: dict[str, Any]) -> Grade:
    """The architecture (an adapter's: its base's config) and the fine-tuning's hardware are
    recorded; the base's pretraining hardware only where the base publishes its metadata."""
    own = f"{MODEL}/config.json"
    config = own if evidence.has(own) else f"{BASE_DIR}/config.json"
    hardware = bool(_json(evidence, FINETUNE_RECORD).get("hardware"))
    if not (evidence.has(config) and hardware):
        return "closed", "", _("no architecture or hardware record")
    where = f"{FINETUNE_RECORD}, {config}"
    metadata = parts["Model metadata"]
    if metadata["present"]:
        return "open", where, _("architecture and the hardware of the fine-tuning recorded")
    said = _(
        "architecture and the hardware of the fine-tuning recorded; not the base model's "
        "pretraining ({component}: {detail})",
        component=SAID["Model metadata"],
        detail=metadata["detail"],
    )
    return "partial", where, said


def _package(evidence: Evidence) -> Grade:
    if evidence.has("training-code/pyproject.toml"):
        return "open", "training-code/pyproject.toml", _("the code installs with pip")
    return "closed", "", _("no installable package")


def _api(evidence: Evidence) -> Grade:
    if evidence.has("training-code/gemeingut/serve/app.py"):
        if evidence.has("model/chat_template.jinja"):
            said = _("OpenAI-compatible server; chat template in model/")
        else:
            said = _("OpenAI-compatible server")
        return "open", "training-code/gemeingut/serve/", said
    return "closed", "", _("no API code")


def _licences(checks: dict[str, Any]) -> Grade:
    ids = ("licence.weights", "licence.code", "licence.documents", "licence.training-data")
    ids += ("licence.base",) if "licence.base" in checks else ()
    failed = [i for i in ids if i in checks and not checks[i]["passed"]]
    if not failed:
        if "licence.base" in checks:
            return (
                "open",
                CARD,
                _(
                    "weights, code, documents and data under open licences; the base model's "
                    "licence is open and allows this release"
                ),
            )
        return "open", CARD, _("weights, code, documents and data under open licences")
    if len(failed) < len(ids):
        return "partial", CARD, _("not open: {checks}", checks=", ".join(failed))
    return "closed", CARD, _("no part under an open licence")
