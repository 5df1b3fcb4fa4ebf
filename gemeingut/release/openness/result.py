"""The shape of an openness result, shared by a bundle's rating and a foreign folder's: the
checks, the MOF class with its components, the OSAID gate, the MOF document."""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import Message, _, listed, recorded, text
from gemeingut.release.openness.mof import Found, classify, mof_document, unfilled

# OSAID 1.0 asks for the complete code used to process the data, train and run the model.
OSAID_CODE = ("Data preprocessing code", "Training code", "Inference code", "Model architecture")


def check(check_id: str, passed: bool, evidence: str, detail: Message | str) -> dict[str, Any]:
    """One check; its detail is written in English and shown to a person in their language."""
    return {
        "id": check_id,
        "passed": bool(passed),
        "evidence": evidence,
        "detail": recorded(detail),
    }


def osaid_gate(
    parts: list[Found], data_information: bool, data_detail: Message | str
) -> dict[str, Any]:
    """OSI's Open Source AI Definition 1.0: data information, code and parameters, each
    available under OSD-conformant terms (code: OSI-approved; parameters: open)."""
    by_name = {p.component.name: p for p in parts}
    lacking = [n for n in OSAID_CODE if not (by_name[n].present and by_name[n].licence_open)]
    weights = by_name["Model parameters (Final)"]
    requirements = {
        "data_information": {"passed": data_information, "detail": recorded(data_detail)},
        "code": {
            "passed": not lacking,
            "detail": recorded(
                _(
                    "data processing, training, inference and architecture code under "
                    "OSI-approved licences"
                )
                if not lacking
                else _("missing or not OSI-licensed: {parts}", parts=", ".join(lacking))
            ),
        },
        "parameters": {
            "passed": weights.present and weights.licence_open,
            "detail": weights.detail,
        },
    }
    failed = [name for name, r in requirements.items() if not r["passed"]]
    return {
        "passed": not failed,
        "summary": recorded(_verdict(failed)),
        "requirements": requirements,
    }


# The OSAID's three requirements as a person reads them (openness.json keeps the ids as keys).
REQUIREMENTS = {
    "data_information": _("data information"),
    "code": _("code"),
    "parameters": _("parameters"),
}


def _verdict(failed: list[str]) -> Message:
    """Passes, or fails with the failed requirements by their names: the `osaid.gate` check,
    the card and `openness rate` say it with this one message, in the reader's language."""
    if not failed:
        return _("passes")
    return _("fails ({reasons})", reasons=listed([REQUIREMENTS.get(n, n) for n in failed]))


def gate_said(osaid: dict[str, Any], language: str) -> str:
    """The OSAID gate in `language`: passes, or fails with the requirements by their names."""
    failed = [name for name, r in osaid["requirements"].items() if not r["passed"]]
    return text(_verdict(failed), language)


def assemble(
    parts: list[Found],
    kinds: dict[str, str | None],
    checks: list[dict[str, Any]],
    osaid: dict[str, Any],
    release: dict[str, Any],
    gate_evidence: str = "openness.json",
    weights_licence_path: str = "release.json",
) -> dict[str, Any]:
    """The result; `gate_evidence`: the file(s) the OSAID gate rests on (a bundle's
    openness.json, a foreign folder's own files)."""
    checks = [*checks, check("osaid.gate", osaid["passed"], gate_evidence, osaid["summary"])]
    document = mof_document(release, kinds, parts, weights_licence_path)
    rows = [_component_row(p) for p in parts]
    return {
        "open": all(c["passed"] for c in checks),
        "licenses": kinds,
        "checks": checks,
        "mof": {**classify(parts), "components": rows, "fields_missing": unfilled(document)},
        "osaid": osaid,
        "mof_document": document,
    }


def _component_row(part: Found) -> dict[str, Any]:
    return {
        "name": part.component.name,
        "class": part.component.mof_class,
        "required": part.component.required,
        "present": part.present,
        "evidence": list(part.paths),
        "license": part.licence,
        "license_open": part.licence_open,
        "detail": part.detail,
    }
