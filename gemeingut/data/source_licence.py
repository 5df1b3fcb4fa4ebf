"""The licence a source gives all its documents (`data curate --license`, a recipe's
`data.sources.N.license`), checked before a document is read. A licence that names no licence
id (`CC0` for CC0-1.0, a name of one's own) would have every document of the source excluded
as of unknown licence, seen only after the whole run, or not at all where other sources fill
the dataset. A licence the gate knows and refuses (CC-BY-NC-4.0, proprietary, an SPDX id it
does not list as open) is no mistake of spelling: its documents are excluded and counted, as
those that carry it themselves are. The id meant is the one the gate's exclusions name for the
same spelling in a document (`licence_hints`)."""

from __future__ import annotations

from gemeingut.data.licence_hints import UNNAMED, meant_expression
from gemeingut.data.licenses import decide
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.licence_names import unknown_licence


def source_licence_problem(expression: str | None) -> tuple[Message, Message] | None:
    """Why a source's licence names no licence, and the id meant (None: it names one, or no
    licence was given, which each document may then carry itself)."""
    if expression is None or decide(expression).reason not in UNNAMED:
        return None
    meant = meant_expression(expression)
    if meant is not None:
        return (
            _("{licence!r} is not an SPDX licence id; did you mean {meant}?",
              licence=expression.strip(), meant=meant),
            _("name the licence as SPDX spells it: {meant}", meant=meant),
        )  # fmt: skip
    return unknown_licence(expression)


def refuse_source_licence(expression: str | None, field: str) -> None:
    """Refuse a source's licence that names no licence; `field`: the option that gave it."""
    problem = source_licence_problem(expression)
    if problem is not None:
        reason, hint = problem
        raise InputError(_("{field}: {problem}", field=field, problem=reason), hint)
