"""The European Open Source AI Index and the FMTI indicators of a model folder gemeingut did not
build, graded as a bundle's are (`osai_index.py`, `fmti.py`) but from what the folder holds:
its rating's components and checks, its card, config and files.

Nothing is taken on the publisher's word: a parameter whose evidence is not in the folder is
closed and an indicator not met, with the reason; a link in the card (a code repository, a
paper on arXiv) counts as partial at most, since what it leads to is not checked offline. Every
note is a message: English in the JSON or YAML, the reader's language on the screen
(`indices_said.py`).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _, listed, recorded
from gemeingut.json_records import read_object
from gemeingut.model.card_header import CARD_FILE, Card
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.release.openness.causal_lm import names_causal_lm
from gemeingut.release.openness.evidence import parameter_count
from gemeingut.release.openness.file_content import joined
from gemeingut.release.openness.licences import content_licence
from gemeingut.release.openness.mof import SAID
from gemeingut.release.openness.osai_index import CRITERIA

# A repository's address, without the full stop of the sentence it ends ("…/winzig-train.").
_CODE_LINK = re.compile(r"https?://(?:github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]*[\w-]")
_HARDWARE_HEADING = re.compile(
    r"^#{1,4}\s*(hardware|compute infrastructure|training infrastructure|"
    r"hardware and software|trainingsinfrastruktur|rechenressourcen)\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ANY_HEADING = re.compile(r"^#{1,4}\s", re.MULTILINE)
_MIN_SECTION_CHARS = 40  # "More information needed" (the Hub's template) says nothing
_PLACEHOLDER = re.compile(r"\[?more information needed\]?", re.IGNORECASE)
_PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_CODE_PARTS = ("Data preprocessing code", "Training code", "Inference code")
Grade = tuple[str, str, Message | str]  # class, link, notes


@dataclass(frozen=True)
class FolderFacts:
    """What the indices read beside the rating: the folder's files, card and config, and the
    base a fine-tune names."""

    listing: list[str]
    card: Card | None
    config: dict[str, Any]
    own_data: list[str]  # the folder's own data files (a fine-tune's: its fine-tuning data)
    base: dict[str, Any] | None  # the base a fine-tune names (None: no fine-tune)
    base_checked: bool
    unclear: str | None = None  # why the folder's terms are unclear (two files disagree, or
    # its LICENSE adds terms to the licence's text)
    data_said: Message | str | None = None  # a gemeingut fine-tune's: where its data's licence
    # comes from, or why it is unknown


def foreign_indices(folder: Path, result: dict[str, Any], facts: FolderFacts) -> dict[str, Any]:
    """The two indices, as the keys `osai_index` and `fmti` of the folder's rating."""
    rows = {row["name"]: row for row in result["mof"]["components"]}
    checks = {c["id"]: c for c in result["checks"]}
    return {
        "osai_index": _osai_index(result, rows, checks, facts),
        "fmti": _fmti(folder, result, rows, checks, facts),
    }


def _osai_index(
    result: dict[str, Any],
    rows: dict[str, Any],
    checks: dict[str, Any],
    facts: FolderFacts,
) -> dict[str, Any]:
    weights = _component(rows, "Model parameters (Final)")
    grades: dict[str, Grade] = {
        "datasources_basemodel": _base_data(rows),
        "datasources_endmodel": _tuning_data(rows, facts),
        "weights_basemodel": _base_weights(facts, weights),
        "weights_endmodel": weights,
        "trainingcode": _linked(rows, "Training code", facts.card),
        "code": _code(rows),
        "hardware_architecture": _hardware(rows, facts.card),
        "preprint": _component(rows, "Research paper"),
        "paper": ("closed", "", _("peer review cannot be shown by a file; not declared")),
        "modelcard": _component(rows, "Model card"),
        "datasheet": _component(rows, "Data card"),
        "package": _package(facts.listing),
        "api": _api(rows),
        "licenses": _licences(checks, result["licenses"]["weights"]),
    }
    name = result["mof_document"]["release"]["name"]
    system: dict[str, Any] = {
        "name": name,
        "type": "text",
        "endmodelname": name,
        "endmodellicense": result["licenses"]["weights"],
        "notes": recorded(
            _(
                "Graded by gemeingut from the folder's files; criteria: {criteria}",
                criteria=CRITERIA,
            )
        ),
    }
    if facts.base is not None and facts.base.get("name"):
        system |= {"basemodelname": str(facts.base["name"])}
    index: dict[str, Any] = {
        "system": system,
        "org": {"name": result["mof_document"]["release"]["producer"]},
    }
    for key, (grade, link, notes) in grades.items():
        index[key] = {"class": grade, "link": link, "notes": recorded(notes)}
    return index


def _component(rows: dict[str, Any], name: str) -> Grade:
    """Open where the folder holds the component under an open licence, partial where its
    licence is not open, closed where it is missing."""
    row, shown = rows[name], SAID[name]
    if not row["present"]:
        return "closed", "", _("{part}: {detail}", part=shown, detail=row["detail"])
    where = ", ".join(row["evidence"])
    if not row["license_open"]:
        said = _("{part} present, but: {detail}", part=shown, detail=row["detail"])
        return "partial", where, said
    return "open", where, row["detail"]


def _base_data(rows: dict[str, Any]) -> Grade:
    """The training data: in the folder, or at least described in a data card (partial)."""
    grade = _component(rows, "Datasets")
    card = rows["Data card"]
    if grade[0] != "closed" or not card["present"]:
        return grade
    where = ", ".join(card["evidence"])
    said = _("the data is not in the folder, but described in {files}", files=where)
    return "partial", where, said


def _tuning_data(rows: dict[str, Any], facts: FolderFacts) -> Grade:
    if facts.base is None:
        return "", "", _("no base model named: the end model is the base model")
    if not facts.own_data:
        return "closed", "", _("the fine-tuning data is not in the folder")
    where = ", ".join(facts.own_data)
    data = rows["Datasets"]
    if data["license"] is None:
        said = _("fine-tuning data in the folder, under no licence it names")
        return "partial", where, _said(said, facts.data_said)
    if content_licence(data["license"]).open:
        said = _("fine-tuning data in the folder under an open licence")
        return "open", where, _said(said, facts.data_said)
    said = _("fine-tuning data in the folder, not under an open licence")
    return "partial", where, _said(said, facts.data_said)


def _said(grade: Message, why: Message | str | None) -> Message:
    """A grade with where the fine-tuning data's licence comes from (or why it is unknown)."""
    return grade if why is None else _("{grade}: {why}", grade=grade, why=why)


def _base_weights(facts: FolderFacts, weights: Grade) -> Grade:
    """The model is its own base, or the base a fine-tune names: open where its folder is here
    and its licence open; closed where it is not here to check."""
    if facts.base is None:
        return weights
    name = str(facts.base.get("name") or "-")
    licence = facts.base.get("license")
    where = str(facts.base.get("path") or "")
    if facts.base_checked and not licence and where and Path(where).is_dir():
        said = _(
            "the base model {base} is at {path}, but neither it nor the fine-tune's record "
            "names its licence: its weights' licence is not checked",
            base=name,
            path=where,
        )
        return "closed", where, said
    if not facts.base_checked or not licence:
        said = _(
            "the base model {base} is not here: its weights and licence are not checked",
            base=name,
        )
        return "closed", "", said
    verdict = content_licence(licence)
    said = _("the base model {base} under {licence}: {verdict}", base=name, licence=licence,
             verdict=verdict.detail)  # fmt: skip
    return ("open" if verdict.open else "partial"), where, said


def _linked(rows: dict[str, Any], name: str, card: Card | None) -> Grade:
    """A component the folder lacks but the card links a repository for: partial (the link
    is not followed offline)."""
    grade = _component(rows, name)
    links = sorted(set(_CODE_LINK.findall(card.text))) if card is not None else []
    if grade[0] != "closed" or not links:
        return grade
    said = _(
        "not in the folder; {file} links code repositories, not checked: {links}",
        file=CARD_FILE,
        links=", ".join(links),
    )
    return "partial", CARD_FILE, said


def _code(rows: dict[str, Any]) -> Grade:
    """The code of data processing, training and inference: all, some or none in the folder."""
    present = [name for name in _CODE_PARTS if rows[name]["present"]]
    absent = [name for name in _CODE_PARTS if name not in present]
    where = ", ".join(path for name in present for path in rows[name]["evidence"])
    if not absent:
        return "open", where, _("code for data processing, training and inference in the folder")
    missing_parts = _listed(absent)
    if present:
        return "partial", where, _("not in the folder: {parts}", parts=missing_parts)
    return "closed", "", _("not in the folder: {parts}", parts=missing_parts)


def _hardware(rows: dict[str, Any], card: Card | None) -> Grade:
    """The architecture (config.json) and the training hardware (training metadata or a card
    section about it)."""
    architecture, metadata = rows["Model architecture"], rows["Model metadata"]
    section = _hardware_section(card)
    recorded_in = [*metadata["evidence"], *([f"{CARD_FILE} ({section})"] if section else [])]
    if not architecture["present"]:
        return "closed", ", ".join(recorded_in), _("no architecture in the folder")
    where = ", ".join([*architecture["evidence"], *recorded_in])
    if recorded_in:
        return "open", where, _("architecture and training hardware in the folder")
    return "partial", where, _("architecture in the folder; the training hardware is not")


def _hardware_section(card: Card | None) -> str | None:
    """A card section about the training hardware with some substance (its heading)."""
    if card is None:
        return None
    for match in _HARDWARE_HEADING.finditer(card.text):
        rest = card.text[match.end() :]
        following = _ANY_HEADING.search(rest)
        body = _PLACEHOLDER.sub("", rest[: following.start()] if following else rest)
        if len(body.strip()) >= _MIN_SECTION_CHARS:
            return match.group(0).lstrip("#").strip()
    return None


def _package(listing: list[str]) -> Grade:
    files = [name for name in _PACKAGE_FILES if name in listing]
    if files:
        return "open", ", ".join(files), _("the folder installs as a Python package")
    return "closed", "", _("no installable package in the folder")


def _api(rows: dict[str, Any]) -> Grade:
    code = rows["Inference code"]
    if code["present"]:
        said = _("inference code in the folder; no API is evidenced")
        return "partial", ", ".join(code["evidence"]), said
    return "closed", "", _("no API or inference code in the folder")


def _licences(checks: dict[str, Any], licence: str | None) -> Grade:
    """Open where the weights' licence is open and its text given; partial where a licence is
    named but not open or its text not given; closed where none is named."""
    weights, licence_text = checks["licence.weights"], checks.get("licence.text")
    said = [c for c in (weights, licence_text) if c is not None]
    where = ", ".join(dict.fromkeys(c["evidence"] for c in said))
    failed = [c for c in said if not c["passed"]]
    if not failed:
        return "open", where, weights["detail"]
    if not licence:
        return "closed", where, weights["detail"]
    reasons = joined([_("{id}: {detail}", id=c["id"], detail=c["detail"]) for c in failed])
    return "partial", where, _("not open: {checks}", checks=reasons)


def _listed(names: list[str]) -> Message | str:
    """Component names as a person reads them, in their language (`A, B, C`)."""
    return listed([SAID[name] for name in names])


def _fmti(
    folder: Path,
    result: dict[str, Any],
    rows: dict[str, Any],
    checks: dict[str, Any],
    facts: FolderFacts,
) -> dict[str, Any]:
    """The indicators a bundle's table lists that a model folder's files can show."""

    def part(domain: str, indicator: str, *names: str) -> dict[str, Any]:
        """Met where every component named is in the folder."""
        present = [rows[n] for n in names if rows[n]["present"]]
        where = [path for row in present for path in row["evidence"]]
        absent = [n for n in names if not rows[n]["present"]]
        said = _("not in the folder: {parts}", parts=_listed(absent)) if absent else ""
        return _row(domain, indicator, not absent, where, said)

    data, data_card = rows["Datasets"], rows["Data card"]
    sources = [*data["evidence"], *data_card["evidence"]]
    text_model, modality_file, no_text_model = _text_modality(folder, facts)
    size = _parameters(folder, rows["Model parameters (Final)"])
    weights = checks["licence.weights"]
    licence = result["licenses"]["weights"]
    upstream = _tuning_rows(result, facts) or [
        _row("upstream", "Data sources", bool(sources), sources,
             "" if sources else _("neither the data nor a description of it is in the folder")),
        _row("upstream", "Data license", data["present"] and data["license_open"],
             data["evidence"], data["detail"] if data["present"]
             else _("not in the folder: {parts}", parts=_listed(["Datasets"]))),
    ]  # fmt: skip
    table = [
        *upstream,
        part("upstream", "Data curation", "Data preprocessing code"),
        _compute_hardware(facts.card),
        part("upstream", "Core frameworks", "Supporting libraries and tools"),
        _row("model", "Input modality", text_model, modality_file, no_text_model),
        _row("model", "Output modality", text_model, modality_file, no_text_model),
        part("model", "Model components", "Model parameters (Final)"),
        _row("model", "Model size", size is not None,
             list(rows["Model parameters (Final)"]["evidence"]) if size is not None else [],
             _("{count} parameters in the safetensors headers", count=size)
             if size is not None else _("no safetensors weights to count the parameters of")),
        part("model", "Model architecture", "Model architecture"),
        part("model", "Centralized model documentation", "Model card"),
        _access(rows["Model parameters (Final)"], weights),
        part("model", "Capabilities description", "Technical report"),
        part("model", "Evaluation of capabilities", "Evaluation results"),
        part("model", "External reproducibility of capabilities evaluation",
             "Evaluation code", "Evaluation data"),
        _model_licence(licence, weights["evidence"], facts.unclear),
    ]  # fmt: skip
    return {
        "index": "Foundation Model Transparency Index (Bommasani et al., 2023), indicators a "
        "model folder can evidence",
        "met": sum(r["met"] for r in table),
        "listed": len(table),
        "indicators": table,
    }


def _tuning_rows(result: dict[str, Any], facts: FolderFacts) -> list[dict[str, Any]]:
    """A gemeingut fine-tune's data rows, from the evidence the European index grades its
    data by (`_tuning_data`): the copy of its data in the folder and the licence read from it;
    none for any other folder."""
    if facts.base is None or facts.data_said is None:
        return []
    licence = result["licenses"]["data"]
    path = result["mof_document"]["release"]["license"]["data"]["path"]
    sources = facts.own_data
    return [
        _row("upstream", "Data sources", bool(sources), sources,
             "" if sources else _("the fine-tuning data is not in the folder")),
        _row("upstream", "Data license", licence is not None and content_licence(licence).open,
             [p.strip() for p in path.split(",")] if path and licence else [], facts.data_said),
    ]  # fmt: skip


def _access(weights: dict[str, Any], licence: dict[str, Any]) -> dict[str, Any]:
    """Met where the weights are in the folder under an open licence; where not, why: the
    weights missing, the licence failing, or both (never the licence's verdict alone for
    weights that are not there)."""
    met = weights["present"] and licence["passed"]
    reasons = (
        []
        if weights["present"]
        else [_("not in the folder: {parts}", parts=_listed(["Model parameters (Final)"]))]
    )
    if not licence["passed"] or met:
        reasons.append(licence["detail"])
    return _row("model", "Full external model access", met, list(weights["evidence"]),
                joined(reasons))  # fmt: skip


def _text_modality(folder: Path, facts: FolderFacts) -> tuple[bool, list[str], Message | str]:
    """Whether the folder's model takes and gives text, the file that says so, and else why
    not: a config.json that names a causal language model, or a peft adapter's
    adapter_config.json for one (`task_type` CAUSAL_LM; an adapter folder has no config.json)."""
    if names_causal_lm(facts.config):
        return True, ["config.json"], ""
    if ADAPTER_CONFIG in facts.listing:
        adapter = read_object(folder / ADAPTER_CONFIG, _("fix or re-save adapter_config.json"))
        if (adapter or {}).get("task_type") == "CAUSAL_LM":
            return True, [ADAPTER_CONFIG], ""
        return False, [], _("adapter_config.json names no causal language model (task_type)")
    if "config.json" in facts.listing:
        return False, [], _("config.json names no causal language model")
    return False, [], _("no config.json in the folder that names the model's kind")


def _compute_hardware(card: Card | None) -> dict[str, Any]:
    """Met where the card has a section about the training hardware; where there is no card,
    that is what is said."""
    if card is None:
        said = _("there is no {file} in the folder: no card says what hardware trained the model",
                 file=CARD_FILE)  # fmt: skip
        return _row("upstream", "Compute hardware", False, [], said)
    if _hardware_section(card) is None:
        said = _("{file} has no section about the training hardware", file=CARD_FILE)
        return _row("upstream", "Compute hardware", False, [], said)
    return _row("upstream", "Compute hardware", True, [CARD_FILE], "")


def _model_licence(licence: str | None, where: str, unclear: str | None) -> dict[str, Any]:
    """The licence is disclosed where the folder names one, and one only: two files that name
    different licences leave the terms unclear (`unclear`: why)."""
    if not licence:
        return _row("downstream", "Model License", False, [], _("no licence named"))
    if unclear is not None:
        return _row("downstream", "Model License", False, [where], unclear)
    said = _("the weights' licence: {licence}", licence=licence)
    return _row("downstream", "Model License", True, [where], said)


def _row(
    domain: str, indicator: str, met: bool, where: list[str], detail: Message | str
) -> dict[str, Any]:
    return {
        "domain": domain,
        "indicator": indicator,
        "met": bool(met),
        "evidence": ", ".join(dict.fromkeys(where)),
        "detail": recorded(detail),
    }


def _parameters(folder: Path, weights: dict[str, Any]) -> int | None:
    """The parameters in the folder's safetensors headers (None: none, or one that does not
    read; the weights' component says why)."""
    if not weights["present"]:
        return None
    try:
        return parameter_count(folder)
    except (OSError, struct.error, ValueError, KeyError, TypeError):
        return None
