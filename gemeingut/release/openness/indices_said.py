"""The European Open Source AI Index and the FMTI indicators as lines for a person, in their
language: a model folder's from its rating (`foreign_indices.py` grades them, with a message for
every note), a bundle's from its own `osai-index.yaml` and `fmti.json` (what `release` wrote and
`verify` renders again). A bundle's files keep their notes in English and beside them in each
other language (`notes.py`): the screen shows each grade with why, in the reader's language, and
its evidence files (for a bundle from before, whose notes are English only: the evidence files
and where the English reasons stand).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.json_records import why_unreadable
from gemeingut.release.openness.fmti import FMTI_FILE
from gemeingut.release.openness.notes import language_key, note_in
from gemeingut.release.openness.osai_index import OSAI_FILE
from gemeingut.yamlfile import syntax_problem

# The index's parameters and grades, and the FMTI's indicators, as a person reads them (the
# records keep the indices' own English keys and names).
OSAI_PARAMETERS = {
    "datasources_basemodel": _("Base model data"),
    "datasources_endmodel": _("End user model data"),
    "weights_basemodel": _("Base model weights"),
    "weights_endmodel": _("End user model weights"),
    "trainingcode": _("Training code"),
    "code": _("Code documentation"),
    "hardware_architecture": _("Hardware architecture"),
    "preprint": _("Preprint"),
    "paper": _("Peer-reviewed paper"),
    "modelcard": _("Model card"),
    "datasheet": _("Datasheet"),
    "package": _("Package"),
    "api": _("API and meta prompts"),
    "licenses": _("Licences"),
}
GRADES = {"open": _("open"), "partial": _("partial"), "closed": _("closed"),
          "": _("not applicable")}  # fmt: skip
INDICATORS = {
    "Data size": _("Data size"),
    "Data sources": _("Data sources"),
    "Data creators": _("Data creators"),
    "Data source selection": _("Data source selection"),
    "Data license": _("Data licence"),
    "Data curation": _("Data curation"),
    "Harmful data filtration": _("Harmful data filtration"),
    "Copyrighted data": _("Copyrighted data"),
    "Personal information in data": _("Personal information in data"),
    "Compute usage": _("Compute usage"),
    "Development duration": _("Development duration"),
    "Compute hardware": _("Compute hardware"),
    "Energy usage": _("Energy usage"),
    "Model stages": _("Model stages"),
    "Core frameworks": _("Core frameworks"),
    "Additional dependencies": _("Additional dependencies"),
    "Input modality": _("Input modality"),
    "Output modality": _("Output modality"),
    "Model components": _("Model components"),
    "Model size": _("Model size"),
    "Model architecture": _("Model architecture"),
    "Centralized model documentation": _("Centralised model documentation"),
    "Full external model access": _("Full external model access"),
    "Capabilities description": _("Capabilities description"),
    "Evaluation of capabilities": _("Evaluation of capabilities"),
    "External reproducibility of capabilities evaluation": _(
        "External reproducibility of capabilities evaluation"
    ),
    "Limitations description": _("Limitations description"),
    "Risks description": _("Risks description"),
    "Unintentional harm evaluation": _("Unintentional harm evaluation"),
    "Intentional harm evaluation": _("Intentional harm evaluation"),
    "External reproducibility of unintentional harm evaluation": _(
        "External reproducibility of unintentional harm evaluation"
    ),
    "Model License": _("Model licence"),
}
_INDEX_TITLE = _("European Open Source AI Index (osai-index.eu):")
_CHECK = _("check the bundle with `gemeingut verify`; a release writes this file")


def indices_said(result: dict[str, Any], language: str) -> list[str]:
    """The two indices of a folder's rating as lines for a person (none for a bundle's, whose
    indices are files of the bundle: `bundle_indices_said`): each parameter with its grade and
    why, the FMTI's count and each indicator not met with why."""
    index, fmti = result.get("osai_index"), result.get("fmti")
    if index is None or fmti is None:
        return []
    lines = ["  " + text(_INDEX_TITLE, language)]
    for key, label in OSAI_PARAMETERS.items():
        grade = index[key]
        said = _(
            "{parameter}: {grade} ({notes})",
            parameter=label,
            grade=_grade(grade),
            notes=grade["notes"],
        )
        lines.append("    " + text(said, language))
    counted = _(
        "Foundation Model Transparency Index: {met} of {listed} indicators a folder can show "
        "are met",
        met=fmti["met"],
        listed=fmti["listed"],
    )
    lines.append("  " + text(counted, language))
    for row in fmti["indicators"]:
        if not row["met"]:
            lines.append("    " + text(_("not met: {indicator}: {detail}", indicator=_name(row),
                                       detail=row["detail"]), language))  # fmt: skip
    return lines


def bundle_indices_said(bundle: Path, language: str) -> list[str]:
    """A bundle's `osai-index.yaml` and `fmti.json` as lines for a person: each parameter with
    its grade and evidence files, the FMTI's count and each indicator not met with the file it
    lacks (or the file that shows it is not met)."""
    index, fmti = _osai_file(bundle), _fmti_file(bundle)
    lines = ["  " + text(_INDEX_TITLE, language)]
    noted = all(language_key("notes", language) in index[key] for key in OSAI_PARAMETERS)
    for key, label in OSAI_PARAMETERS.items():
        grade = index[key]
        lines.append("    " + text(_bundle_grade(label, grade, language, noted), language))
    if not noted:  # a bundle from before the notes were written in every language
        lines.append("    " + text(_("the reasons, in English: {file}", file=OSAI_FILE), language))
    counted = _(
        "Foundation Model Transparency Index: {met} of {listed} indicators a release can show "
        "are met ({file})",
        met=fmti["met"],
        listed=fmti["listed"],
        file=FMTI_FILE,
    )
    lines.append("  " + text(counted, language))
    for row in fmti["indicators"]:
        if row["met"]:
            continue
        if row.get("missing"):
            said = _("not met: {indicator}: the bundle lacks {files}", indicator=_name(row),
                     files=str(note_in(row, "missing", language)))  # fmt: skip
        else:
            said = _("not met: {indicator}: see {files}", indicator=_name(row),
                     files=str(note_in(row, "evidence", language) or FMTI_FILE))  # fmt: skip
        lines.append("    " + text(said, language))
    return lines


def _bundle_grade(label: Message, grade: dict[str, Any], language: str, noted: bool) -> Message:
    """A parameter's grade with why (where the file says it in `language`) and its evidence."""
    shown = _grade(grade)
    notes = str(note_in(grade, "notes", language) or "") if noted else ""
    if grade.get("link") and notes:
        return _("{parameter}: {grade} ({notes}; evidence: {files})", parameter=label,
                 grade=shown, notes=notes, files=str(grade["link"]))  # fmt: skip
    if grade.get("link"):
        return _("{parameter}: {grade} (evidence: {files})", parameter=label, grade=shown,
                 files=str(grade["link"]))  # fmt: skip
    if notes:
        return _("{parameter}: {grade} ({notes}; no evidence in the bundle)", parameter=label,
                 grade=shown, notes=notes)  # fmt: skip
    return _("{parameter}: {grade} (no evidence in the bundle)", parameter=label, grade=shown)


def _grade(grade: dict[str, Any]) -> Message | str:
    return GRADES.get(grade["class"], grade["class"])


def _name(row: dict[str, Any]) -> Message | str:
    return INDICATORS.get(row["indicator"], row["indicator"])


def _osai_file(bundle: Path) -> dict[str, Any]:
    path = bundle / OSAI_FILE
    try:
        index = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(syntax_problem(path, exc), _CHECK) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, why_unreadable(exc)) from None
    missing = [key for key in OSAI_PARAMETERS if not _graded(index, key)]
    if missing:
        raise _unreadable(path, _("no grade for {keys}", keys=", ".join(missing)))
    return index


def _graded(index: Any, key: str) -> bool:
    return isinstance(index, dict) and isinstance(index.get(key), dict) and "class" in index[key]


def _fmti_file(bundle: Path) -> dict[str, Any]:
    path = bundle / FMTI_FILE
    try:
        fmti = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _unreadable(path, why_unreadable(exc)) from None
    rows = fmti.get("indicators") if isinstance(fmti, dict) else None
    fields = ("met", "listed", "indicators")
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and {"indicator", "met"} <= r.keys() for r in rows
    ) or not all(name in fmti for name in fields):  # fmt: skip
        raise _unreadable(path, _("'indicators' is not a list of indicators with 'met'"))
    return fmti


def _unreadable(path: Path, reason: Message | str) -> InputError:
    return InputError(
        _("{file}: the bundle's index cannot be read ({error})", file=str(path), error=reason),
        _("check the bundle with `gemeingut verify`; a release writes this file"),
    )  # fmt: skip
