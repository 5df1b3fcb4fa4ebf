"""A licence expression as a person reads it: each licence by its name in the reader's
language, its SPDX id beside it (the id is what a lawyer or a tool looks up), and `AND`, `OR`,
`WITH` as words. "Apache-2.0 AND CC-BY-4.0" reads "Apache-Lizenz 2.0 (Apache-2.0) und Creative
Commons Namensnennung 4.0 International (CC-BY-4.0)".

The expression is parsed with license-expression, as the licence gate parses it; its licensing
data names no licence, so the names of the licences models and their data commonly carry are
kept here, in the message catalogue (the official German names where the licence has one: the
German EUPL, Creative Commons' German deeds, the Datenlizenz Deutschland). A licence without a
name here is shown by its id alone, and an expression that does not parse as it is written.
"""

from __future__ import annotations

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
)

from gemeingut.data.licenses import parse_expression
from gemeingut.i18n import Message, _, text

# Proper names that read the same in German and English.
_SAME = {
    "Apache-1.1": "Apache License 1.1",
    "MPL-2.0": "Mozilla Public License 2.0",
    "ODbL-1.0": "Open Data Commons Open Database License 1.0",
    "ODC-By-1.0": "Open Data Commons Attribution License 1.0",
    "PDDL-1.0": "Open Data Commons Public Domain Dedication and License 1.0",
    "OGL-UK-3.0": "Open Government Licence 3.0",
    "Unlicense": "The Unlicense",
    "CC-PDDC": "Creative Commons Public Domain Dedication and Certification",
    "llama2": "Llama 2 Community License",
    "llama3": "Meta Llama 3 Community License",
    "llama3.1": "Llama 3.1 Community License",
    "llama3.2": "Llama 3.2 Community License",
    "llama3.3": "Llama 3.3 Community License",
    "llama4": "Llama 4 Community License",
    "openrail": "Open RAIL",
    "openrail++": "Open RAIL++-M",
    "creativeml-openrail-m": "CreativeML Open RAIL-M",
    "bigscience-openrail-m": "BigScience Open RAIL-M",
    "bigcode-openrail-m": "BigCode Open RAIL-M",
    "bigscience-bloom-rail-1.0": "BigScience BLOOM RAIL 1.0",
}
_NAMED: dict[str, Message | str] = {
    **_SAME,
    "Apache-2.0": _("Apache License 2.0"),
    "MIT": _("MIT License"),
    "BSD-2-Clause": _("BSD 2-Clause License"),
    "BSD-3-Clause": _("BSD 3-Clause License"),
    "EUPL-1.1": _("European Union Public Licence 1.1"),
    "EUPL-1.2": _("European Union Public Licence 1.2"),
    "GPL-2.0-only": _("GNU General Public License 2.0, only this version"),
    "GPL-2.0-or-later": _("GNU General Public License 2.0 or later"),
    "GPL-3.0-only": _("GNU General Public License 3.0, only this version"),
    "GPL-3.0-or-later": _("GNU General Public License 3.0 or later"),
    "LGPL-2.1-only": _("GNU Lesser General Public License 2.1, only this version"),
    "LGPL-2.1-or-later": _("GNU Lesser General Public License 2.1 or later"),
    "LGPL-3.0-only": _("GNU Lesser General Public License 3.0, only this version"),
    "LGPL-3.0-or-later": _("GNU Lesser General Public License 3.0 or later"),
    "AGPL-3.0-only": _("GNU Affero General Public License 3.0, only this version"),
    "AGPL-3.0-or-later": _("GNU Affero General Public License 3.0 or later"),
    "GFDL-1.3-or-later": _("GNU Free Documentation License 1.3 or later"),
    "CC0-1.0": _("Creative Commons Zero 1.0 Universal"),
    "CC-PDM-1.0": _("Creative Commons Public Domain Mark 1.0"),
    "DL-DE-BY-2.0": _("Data licence Germany – attribution – version 2.0"),
    "DL-DE-ZERO-2.0": _("Data licence Germany – zero – version 2.0"),
    "LicenseRef-German-Official-Work": _("Official work, free of copyright (§ 5 UrhG)"),
    "LicenseRef-Public-Domain": _("Public domain"),
    "gemma": _("Gemma Terms of Use"),
    "FAL-1.3": _("Free Art License 1.3"),
}
# Creative Commons 4.0: the licence's elements, as its deeds name them.
_CC_KINDS = {
    "BY": _("Creative Commons Attribution {version}"),
    "BY-SA": _("Creative Commons Attribution-ShareAlike {version}"),
    "BY-ND": _("Creative Commons Attribution-NoDerivatives {version}"),
    "BY-NC": _("Creative Commons Attribution-NonCommercial {version}"),
    "BY-NC-SA": _("Creative Commons Attribution-NonCommercial-ShareAlike {version}"),
    "BY-NC-ND": _("Creative Commons Attribution-NonCommercial-NoDerivatives {version}"),
}
# Versions 1.0 to 3.0 word two elements as 4.0 does not (Creative Commons' own German deed
# catalogue, cc-legal-tools-data locale/de, and its German 2.0 and 3.0 legal codes):
# "NoDerivs" (German "Keine Bearbeitung", 4.0 "Keine Bearbeitungen") and, in German,
# "Nicht-kommerziell" (4.0 "Nicht kommerziell"). Version 1.0 names "NoDerivs" before
# "NonCommercial" (CC BY-ND-NC 1.0, SPDX CC-BY-NC-ND-1.0).
_CC_OLD_KINDS = {
    "BY": _("Creative Commons Attribution {number} {port}"),
    "BY-SA": _("Creative Commons Attribution-ShareAlike {number} {port}"),
    "BY-ND": _("Creative Commons Attribution-NoDerivs {number} {port}"),
    "BY-NC": _("Creative Commons Attribution-NonCommercial {number} {port}"),
    "BY-NC-SA": _("Creative Commons Attribution-NonCommercial-ShareAlike {number} {port}"),
    "BY-NC-ND": _("Creative Commons Attribution-NonCommercial-NoDerivs {number} {port}"),
}
_CC_1_NO_DERIVS_NON_COMMERCIAL = _(
    "Creative Commons Attribution-NoDerivs-NonCommercial {number} {port}"
)
_GENERIC = _("Generic")
# The versions before 4.0 with their port (its country, "Generic" or 3.0's "Unported"), for
# every kind, and the ported licences SPDX knows of one kind only.
_CC_OLD_VERSIONS: dict[str, Message | str] = {
    "3.0": "Unported",
    "3.0-DE": _("Germany"),
    "3.0-AT": _("Austria"),
    "2.5": _GENERIC,
    "2.0": _GENERIC,
    "1.0": _GENERIC,
}
_CC_OLD_PORTED: dict[str, Message | str] = {
    "BY-2.5-AU": _("Australia"),
    "BY-NC-SA-2.0-DE": _("Germany"),
    "BY-NC-SA-2.0-FR": _("France"),
    "BY-NC-SA-2.0-UK": _("UK: England & Wales"),
    "BY-SA-2.0-UK": _("UK: England & Wales"),
    "BY-SA-2.1-JP": _("Japan"),
}


def _cc_old(kind: str, version: str, port: Message | str) -> Message:
    number = version.split("-")[0]
    message = _CC_OLD_KINDS[kind]
    if (kind, number) == ("BY-NC-ND", "1.0"):
        message = _CC_1_NO_DERIVS_NON_COMMERCIAL
    return Message(message.msgid, {"number": number, "port": port})


for _kind, _message in _CC_KINDS.items():
    _NAMED[f"CC-{_kind}-4.0"] = Message(_message.msgid, {"version": "4.0 International"})
    for _version, _port in _CC_OLD_VERSIONS.items():
        _NAMED[f"CC-{_kind}-{_version}"] = _cc_old(_kind, _version, _port)
for _ported, _port in _CC_OLD_PORTED.items():
    _kind, _version = _ported.rsplit("-", 2)[0], "-".join(_ported.rsplit("-", 2)[1:])
    _NAMED[f"CC-{_ported}"] = _cc_old(_kind, _version, _port)
_BY_KEY = {key.lower(): name for key, name in _NAMED.items()}


def licence_name(key: str, language: str) -> str | None:
    """The name of the licence with the SPDX (or Hugging Face) id `key`; None where unnamed."""
    name = _BY_KEY.get(key.lower())
    return None if name is None else text(name, language)


def said_licence(expression: str | None, language: str, ids: bool = True) -> str | None:
    """`expression` with each licence named and its id kept (left out with `ids=False`, where
    the id stands beside the name already); None stays None."""
    if expression is None or not expression.strip():
        return None
    try:
        parsed = parse_expression(expression)
    except ExpressionError:
        return expression
    return expression if parsed is None else _said(parsed, language, ids, top=True)


def _said(node: LicenseExpression, language: str, ids: bool, top: bool = False) -> str:
    if isinstance(node, LicenseWithExceptionSymbol):
        return text(
            _(
                "{licence} with the exception {exception}",
                licence=_one(node.license_symbol, language, ids),
                exception=node.exception_symbol.key,
            ),
            language,
        )
    if isinstance(node, LicenseSymbol):
        return _one(node, language, ids)
    if isinstance(node, AND | OR):
        parts = [_said(arg, language, ids) for arg in node.args]
        words = parts[0]
        for part in parts[1:]:
            joined = (
                _("{left} and {right}", left=words, right=part)
                if isinstance(node, AND)
                else _("{left} or {right}", left=words, right=part)
            )
            words = text(joined, language)
        return words if top else f"({words})"
    return str(node)


def _one(symbol: LicenseSymbol, language: str, ids: bool) -> str:
    name = licence_name(symbol.key, language)
    if name is None:
        return symbol.key
    return f"{name} ({symbol.key})" if ids else name
