"""Is a licence open for what it covers? Code needs an OSI-approved licence; weights and
documents an Open-Definition-conformant one (the corpus gate's list, `data/licenses.py`) or an
OSI-approved one: OSI's Open Source AI Definition asks for the parameters under OSI-approved
terms, and the MOF accepts open-source or open-data licences for them (EUPL-1.2, MPL-2.0,
MulanPSL-2.0 … are open, NC, ND and the use-restricting Llama, Gemma and RAIL terms are not).
Each part of an `A AND B` expression may be open either way. Training data stays with the
Open Definition (`decide`). `content_licence` is the one judgement of a weights' licence: the
rating's, a source's `open-model-only` condition's (`data/use_conditions.py`) and the base
model's for a fine-tune (`model/base_model.py`), so none of them reads the data's list instead.

Differences to the Model Openness Tool, on purpose: its list of open data licences lacks the
German government licences DL-DE-BY-2.0 and DL-DE-ZERO-2.0, which GovData marks as open and the
Open Definition admits; we score them open. A collection of documents under several licences is
the SPDX expression `A AND B …` of them, open when every part is.
"""

from __future__ import annotations

from dataclasses import dataclass

from license_expression import AND, OR, ExpressionError, LicenseSymbol, LicenseWithExceptionSymbol

from gemeingut.data.licence_texts import licence_of_text
from gemeingut.data.licenses import Obligation, decide, licence_ids, parse_expression
from gemeingut.i18n import _, recorded
from gemeingut.model.hub_licences import meant_licence
from gemeingut.release.openness.licence_syntax import expression_problem
from gemeingut.release.openness.use_restrictions import use_restrictions

# OSI-approved licences (opensource.org/licenses) that models' code is commonly released under.
OSI_APPROVED = frozenset(
    {
        "0BSD", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-2.0", "Artistic-2.0",
        "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "CDDL-1.0", "ECL-2.0", "EPL-1.0", "EPL-2.0",
        "EUPL-1.1", "EUPL-1.2", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
        "GPL-3.0-or-later", "ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
        "LGPL-3.0-or-later", "MIT", "MIT-0", "MPL-2.0", "MulanPSL-2.0", "NCSA", "OSL-3.0",
        "PostgreSQL", "UPL-1.0", "Unlicense", "Zlib",
    }
)  # fmt: skip
_OSI_LOWER = {key.lower(): key for key in OSI_APPROVED}


@dataclass(frozen=True)
class Openness:
    open: bool
    detail: str  # why not, or which licence makes it open (a `Recorded` message)
    share_alike: bool = False


def code_licence(expression: str | None) -> Openness:
    """Open when OSI-approved: every part of an AND, one alternative of an OR."""
    if not expression or not expression.strip():
        return Openness(False, recorded(_("no licence given")))
    try:
        parsed = parse_expression(expression)
    except ExpressionError as exc:
        return _unparsed(expression, exc)
    if parsed is None:
        return Openness(False, recorded(_("no licence given")))
    refused = _not_osi(parsed)
    if refused:
        return Openness(
            False, recorded(_("{licence} is not an OSI-approved licence", licence=refused))
        )
    return Openness(True, recorded(_("{licence} is OSI-approved", licence=str(parsed))))


def licensed_code(declared: str | None, licence_text: str | None, file: str) -> Openness:
    """The code's licence as `pyproject.toml` declares it and as its licence text `file` gives
    it: open when the declaration is OSI-approved and the file is the text of that licence."""
    verdict = code_licence(declared)
    if not verdict.open:
        return verdict
    if licence_text is None:
        return Openness(False, recorded(_("no licence text: {file} is missing", file=file)))
    found = licence_of_text(licence_text)
    if not found:
        return Openness(
            False,
            recorded(
                _(
                    "{file} is not the text of an OSI-approved licence (pyproject.toml "
                    "declares {licence})",
                    file=file,
                    licence=declared,
                )
            ),
        )
    if not {key.lower() for key in found} & _lower_ids(declared):
        return Openness(
            False,
            recorded(
                _(
                    "{file} is the text of {found}, but pyproject.toml declares {licence}",
                    file=file,
                    found=" / ".join(sorted(found)),
                    licence=declared,
                )
            ),
        )
    return verdict


def _not_osi(node: object) -> str:
    """The first part that is not OSI-approved, or ''."""
    if isinstance(node, LicenseWithExceptionSymbol):
        return _not_osi(node.license_symbol)
    if isinstance(node, LicenseSymbol):
        return "" if node.key.lower() in _OSI_LOWER else node.key
    parts = [_not_osi(arg) for arg in node.args]  # type: ignore[attr-defined]
    if isinstance(node, OR):
        return "" if not all(parts) else parts[0]
    if isinstance(node, AND):
        return next((p for p in parts if p), "")
    return str(node)


def content_licence(expression: str | None) -> Openness:
    """Weights and documents: Open Definition conformant (no NC, no ND) or OSI-approved, each
    part of an AND either way (EUPL-1.2 weights with CC-BY-4.0 documentation, say). An id
    not known as open is said with the id it resembles (`Apache 2.0`: Apache-2.0?)."""
    try:
        parse_expression(expression or "")
    except ExpressionError as exc:
        return _unparsed(str(expression), exc)
    decision = decide(expression)
    if decision.admitted:
        return Openness(
            True,
            recorded(_("{licence} is open", licence=str(decision.expression))),
            share_alike=decision.obligation == Obligation.SHARE_ALIKE,
        )
    if code_licence(expression).open:
        return Openness(True, recorded(_("{licence} is OSI-approved", licence=expression)))
    parsed = _parsed(expression)
    if isinstance(parsed, AND):
        refused = _not_open(parsed)
        if not refused:
            said = _(
                "{licence} is open: each part is Open-Definition-conformant or OSI-approved",
                licence=str(parsed),
            )
            share_alike = any(
                decide(key).obligation == Obligation.SHARE_ALIKE for key in licence_ids(expression)
            )
            return Openness(True, recorded(said), share_alike=share_alike)
        expression, decision = refused, decide(refused)  # the part that is not open, named
    restricted = use_restrictions(expression) if decision.reason == "licence-unknown" else None
    if restricted is not None:  # the clauses that make it not open, not "not in our list"
        return Openness(False, recorded(restricted))
    own = _own_terms(expression) if decision.reason == "licence-unknown" else None
    if own is not None:  # a card's `license: other`: "not in our list" would read as a gap
        said = _(
            "no standard licence, but terms of their own ({name}): whether they are open is "
            "not checked",
            name=own.removeprefix("LicenseRef-"),
        )
        return Openness(False, recorded(said))
    meant = meant_licence(expression or "") if decision.reason == "licence-unknown" else None
    if meant is not None and meant.lower() != str(expression).strip().lower():
        said = _("{problem}; did you mean {key}?", problem=decision.detail, key=meant)
        return Openness(False, recorded(said))
    return Openness(False, decision.detail or decision.reason)


def _unparsed(expression: str, error: ExpressionError) -> Openness:
    """Not open: `expression` does not parse, and what is wrong with it."""
    said = _("not an SPDX expression: {error}", error=expression_problem(expression, error))
    return Openness(False, recorded(said))


def _parsed(expression: str | None) -> object:
    """The parsed expression, or None where it is empty or malformed."""
    try:
        return parse_expression(expression or "")
    except ExpressionError:
        return None


def _not_open(node: object) -> str:
    """The first part that is neither Open-Definition-conformant nor OSI-approved, or ''."""
    if isinstance(node, AND):
        return next((p for arg in node.args if (p := _not_open(arg))), "")
    text = str(node)
    return "" if decide(text).admitted or not _not_osi(node) else text


def _own_terms(expression: str | None) -> str | None:
    """The first `LicenseRef-` id in `expression` that is not an open licence we know."""
    return next(
        (
            key
            for key in licence_ids(expression)
            if key.lower().startswith("licenseref-") and not decide(key).admitted
        ),
        None,
    )


def collection_expression(licences: list[str]) -> str:
    """The licence of a collection whose parts carry these licences: `A AND B …`, each as
    its data spells it (`mit` beside `MIT` stays: the claims of bundles written so far are
    recomputed by `verify` from the same spellings)."""
    distinct = sorted(set(licences))
    if len(distinct) == 1:
        return distinct[0]
    return " AND ".join(f"({x})" if " " in x else x for x in distinct)


def share_alike_conflicts(
    weights: str | None, sources_by_licence: dict[str, set[str]]
) -> dict[str, set[str]]:
    """Share-alike licences among the data that the weights' licence does not carry, with the
    sources that hold them: those sources can only go into a model under the same licence."""
    carried = _lower_ids(weights)
    conflicts: dict[str, set[str]] = {}
    for licence, sources in sources_by_licence.items():
        decision = decide(licence)
        if decision.admitted and decision.obligation == Obligation.SHARE_ALIKE:
            chosen = decision.chosen or licence
            if chosen.lower() not in carried:
                conflicts.setdefault(chosen, set()).update(sources)
    return conflicts


def _lower_ids(expression: str | None) -> set[str]:
    """Every licence named in an expression, lower-cased."""
    return {key.lower() for key in licence_ids(expression)}


def describe_conflicts(conflicts: dict[str, set[str]]) -> str:
    """Each licence with the sources that hold it, in no language's words: `A (s1, s2); B (s3)`."""
    return "; ".join(f"{lic} ({', '.join(sorted(src))})" for lic, src in sorted(conflicts.items()))
