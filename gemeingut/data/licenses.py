"""Which licences may enter a corpus, and why a document's licence was refused.

A licence is admitted when it is Open-Definition conformant: the text may be used, changed and
shared again by anyone for any purpose. Expressions are parsed with `license-expression`:
`A OR B` is admitted when one alternative is (the most permissive one is chosen), `A AND B`
only when all parts are, and `A WITH exception` is judged by `A`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    build_spdx_licensing,
    get_license_index,
)

from gemeingut.i18n import _, recorded


class Obligation(IntEnum):
    """What reuse demands, ordered from least to most; used to pick among OR alternatives."""

    NONE = 0
    ATTRIBUTION = 1
    SHARE_ALIKE = 2


@dataclass(frozen=True)
class LicenseDecision:
    admitted: bool
    reason: str  # "admitted" or a stable code such as "licence-non-commercial"
    expression: str | None  # normalised expression as given
    chosen: str | None = None  # the alternative we rely on when admitted
    obligation: Obligation = Obligation.NONE
    detail: str = ""


# Open licences we know. Keys are compared case-insensitively.
_OPEN: dict[str, Obligation] = {
    "CC0-1.0": Obligation.NONE,
    "PDDL-1.0": Obligation.NONE,
    "CC-PDDC": Obligation.NONE,
    "CC-PDM-1.0": Obligation.NONE,
    "Unlicense": Obligation.NONE,
    "DL-DE-ZERO-2.0": Obligation.NONE,
    "LicenseRef-German-Official-Work": Obligation.NONE,  # § 5 UrhG amtliche Werke
    "LicenseRef-Public-Domain": Obligation.NONE,
    "ODC-PDDL-1.0": Obligation.NONE,  # the Open Data Commons' name of PDDL-1.0
    "DL-DE-BY-2.0": Obligation.ATTRIBUTION,
    "ODC-By-1.0": Obligation.ATTRIBUTION,
    "OGL-UK-3.0": Obligation.ATTRIBUTION,
    "OGL-Canada-2.0": Obligation.ATTRIBUTION,
    # the MOF's preferred data licences; Permissive asks only that its text go with the data
    "CDLA-Permissive-2.0": Obligation.ATTRIBUTION,
    "CDLA-Sharing-1.0": Obligation.SHARE_ALIKE,  # § 3.1(a): published data stays under it
    "MIT": Obligation.ATTRIBUTION,
    "Apache-2.0": Obligation.ATTRIBUTION,
    "BSD-2-Clause": Obligation.ATTRIBUTION,
    "BSD-3-Clause": Obligation.ATTRIBUTION,
    "ODbL-1.0": Obligation.SHARE_ALIKE,
    "GFDL-1.3-or-later": Obligation.SHARE_ALIKE,
    "GFDL-1.3-only": Obligation.SHARE_ALIKE,  # also SPDX's deprecated "GFDL-1.3"
    "FAL-1.3": Obligation.SHARE_ALIKE,
}
for _version in ("1.0", "2.0", "2.5", "3.0", "3.0-DE", "3.0-AT", "4.0"):
    _OPEN[f"CC-BY-{_version}"] = Obligation.ATTRIBUTION
    _OPEN[f"CC-BY-SA-{_version}"] = Obligation.SHARE_ALIKE

_PROPRIETARY = {"licenseref-proprietary", "proprietary", "licenseref-all-rights-reserved"}
_OPEN_LOWER = {key.lower(): (key, obligation) for key, obligation in _OPEN.items()}
_NON_COMMERCIAL = re.compile(r"(^|-)NC(-|$)", re.IGNORECASE)
_NO_DERIVATIVES = re.compile(r"(^|-)ND(-|$)", re.IGNORECASE)


def _spdx_licensing() -> Licensing:
    """SPDX's licences with the aliases of its index, but a `LicenseRef-` id read as itself:
    SPDX defines it as a licence the document names, and the index's aliases would read
    `LicenseRef-Apache-2.0` (a model card's `license: other` with `license_name: apache-2.0`:
    not the Hub's Apache-2.0) or `LicenseRef-MIT-TC` as the licence they resemble."""
    index = [
        {
            **entry,
            "other_spdx_license_keys": [
                alias
                for alias in entry.get("other_spdx_license_keys") or []
                if not alias.lower().startswith("licenseref-")
            ],
        }
        for entry in get_license_index()
    ]
    return build_spdx_licensing(index)


_licensing = _spdx_licensing()


def decide(expression: str | None) -> LicenseDecision:
    """Admit or refuse one licence expression, with a reason code and a human detail."""
    if expression is None or not expression.strip():
        return LicenseDecision(
            False, "licence-missing", None, detail=recorded(_("no licence given"))
        )
    try:
        parsed = parse_expression(expression)
    except ExpressionError as exc:
        return LicenseDecision(
            False,
            "licence-unparseable",
            expression.strip(),
            detail=recorded(_("not an SPDX expression: {error}", error=str(exc))),
        )
    if parsed is None:
        return LicenseDecision(
            False, "licence-missing", None, detail=recorded(_("no licence given"))
        )
    return _decide_parsed(parsed)


def parse_expression(expression: str) -> LicenseExpression | None:
    """The parsed SPDX expression (None when empty); malformed text raises `ExpressionError`
    (the parser itself lets some slip out as IndexError, e.g. for "()")."""
    try:
        return _licensing.parse(expression, validate=False, simple=False)
    except IndexError as exc:
        raise ExpressionError(f"malformed expression {expression!r}") from exc


def licence_ids(expression: str | None) -> list[str]:
    """The licence ids an expression names, each once, in order (exceptions of `WITH` left
    out); none for an empty or malformed expression."""
    try:
        parsed = parse_expression(expression or "")
    except ExpressionError:
        return []
    if parsed is None:
        return []
    symbols = _licensing.license_symbols(parsed, unique=True, decompose=True)
    return [symbol.key for symbol in symbols if not symbol.is_exception]


def _decide_parsed(node: LicenseExpression) -> LicenseDecision:
    text = str(node)
    if isinstance(node, LicenseWithExceptionSymbol):
        base = _decide_parsed(node.license_symbol)
        return LicenseDecision(
            base.admitted,
            base.reason,
            text,
            text if base.admitted else None,
            base.obligation,
            base.detail,
        )
    if isinstance(node, LicenseSymbol):
        return _decide_symbol(node.key, text)
    parts = [_decide_parsed(arg) for arg in node.args]
    if isinstance(node, OR):
        admitted = [p for p in parts if p.admitted]
        if not admitted:
            return _refused_like(
                parts[0], text, recorded(_("no alternative of the OR expression is open"))
            )
        best = min(admitted, key=lambda p: p.obligation)
        return LicenseDecision(True, "admitted", text, best.chosen, best.obligation)
    if isinstance(node, AND):
        refused = [p for p in parts if not p.admitted]
        if refused:
            return _refused_like(refused[0], text, refused[0].detail)
        return LicenseDecision(True, "admitted", text, text, max(p.obligation for p in parts))
    return LicenseDecision(
        False, "licence-unparseable", text, detail=recorded(_("unsupported expression"))
    )


def _decide_symbol(key: str, text: str) -> LicenseDecision:
    lower = key.lower()
    if lower in _OPEN_LOWER:
        canonical, obligation = _OPEN_LOWER[lower]
        return LicenseDecision(True, "admitted", canonical, canonical, obligation)
    if lower in _PROPRIETARY:
        return LicenseDecision(
            False,
            "licence-proprietary",
            text,
            detail=recorded(_("{licence} is not open", licence=key)),
        )
    if _NON_COMMERCIAL.search(key):
        return LicenseDecision(
            False,
            "licence-non-commercial",
            text,
            detail=recorded(
                _("{licence} forbids commercial use: not an open licence", licence=key)
            ),
        )
    if _NO_DERIVATIVES.search(key):
        return LicenseDecision(
            False,
            "licence-no-derivatives",
            text,
            detail=recorded(
                _("{licence} forbids derivatives such as a trained model", licence=key)
            ),
        )
    return LicenseDecision(
        False,
        "licence-unknown",
        text,
        detail=recorded(_("{licence} is not in gemeingut's list of open licences", licence=key)),
    )


def _refused_like(part: LicenseDecision, text: str, detail: str) -> LicenseDecision:
    return LicenseDecision(False, part.reason, text, detail=detail)
