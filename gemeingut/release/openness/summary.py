"""The card's openness paragraph and tags, written from the rating and nothing else."""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import _, text
from gemeingut.release.openness.mof import explained
from gemeingut.release.openness.result import gate_said


def openness_sentence(rating: dict[str, Any], language: str) -> str:
    """One paragraph in `language`: open or not, and why, with the MOF class and the OSAID
    gate. The failed checks' details are said in `language` too (`openness.json` records
    them in English), and how far the weights' licence text was checked where it passed
    (`weights_licence_text.py`: compared with a reference text, or given and not compared)."""
    mof, osaid = explained(rating["mof"]["label"], language), rating["osaid"]
    gate = gate_said(osaid, language)
    checks = rating["checks"]
    if rating["open"]:
        kinds = rating["licenses"]
        sentence = _(
            "This is an **open** model by the checks in `openness.json` (all {count} pass): all "
            "five artifacts are in this bundle, the weights are under `{weights}`, the code "
            "under `{code}`, the documents under `{documents}`, and every training and test "
            "document under an open licence. Model Openness Framework: {mof}. OSI's Open Source "
            "AI Definition: {gate}.",
            count=len(checks),
            weights=kinds["weights"],
            code=kinds["code"],
            documents=kinds["documents"],
            mof=mof,
            gate=gate,
        )
    else:
        failed = "; ".join(
            f"`{c['id']}`: {text(c['detail'], language)}" for c in checks if not c["passed"]
        )
        sentence = _(
            "This release is **not open**: {failed}. Model Openness Framework: {mof}. OSI's "
            "Open Source AI Definition: {gate}. Every check is listed in `openness.json`.",
            failed=failed,
            mof=mof,
            gate=gate,
        )
    said = text(sentence, language)
    licence_text = next((c for c in checks if c["id"] == "licence.text" and c["passed"]), None)
    if licence_text is not None:  # compared with a reference, or given and not compared
        state = _(
            "Licence text of the weights: {detail}.",
            detail=text(licence_text["detail"], language),
        )
        said = f"{said} {text(state, language)}"
    return said


def openness_tags(rating: dict[str, Any]) -> list[str]:
    """The card's tags claim no more than the rating: a MOF class only where it is met, i.e.
    every required component of it is there under an open licence (the framework's class
    table, `mof_components.yml`). A conditional Class III (the Model Openness Tool's: open
    final weights, other class-III components missing) is no class the table gives, so it gets
    no class tag; the card's text says what it is."""
    level = rating["mof"]["class"]
    tags = ["open-model" if rating["open"] else "not-open"]
    if level and not rating["mof"].get("conditional"):
        tags.append(f"mof-class-{level}")
    if rating["osaid"]["passed"]:
        tags.append("osaid")
    return tags
