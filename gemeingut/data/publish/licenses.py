"""The licence of a corpus as a whole, and how each licence is named in the documents we publish.

A curated corpus carries every licence of every document it kept. Its licence is therefore the
conjunction (`AND`) of the distinct licences actually kept: anyone reusing the corpus must honour
each of them, share-alike ones included. Where a document offered a choice (`A OR B`), the
alternative the licence gate relied on is the one that counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from license_expression import (
    AND,
    OR,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_license_index,
    get_spdx_licensing,
)

from gemeingut.data.licence_names import said_licence
from gemeingut.data.licenses import Obligation, decide, licence_ids

_licensing = get_spdx_licensing()

GOVDATA_LICENSES = "http://dcat-ap.de/def/licenses/"
# GovData's concept for an open licence that its vocabulary has no entry for, and for a
# distribution whose documents carry several licences (dcterms:license allows only one value).
GOVDATA_OTHER_OPEN = GOVDATA_LICENSES + "other-open"

# SPDX id -> concept of GovData's licence vocabulary (dcat-ap-de-licenses-open.rdf).
_GOVDATA: dict[str, str] = {
    "CC0-1.0": "cc-zero",
    "CC-BY-4.0": "cc-by/4.0",
    "CC-BY-SA-4.0": "cc-by-sa/4.0",
    "CC-BY-3.0-DE": "cc-by-de/3.0",
    "CC-BY-SA-3.0-DE": "cc-by-sa-de/3.0",
    "CC-PDM-1.0": "ccpdm/1.0",
    "DL-DE-BY-2.0": "dl-by-de/2.0",
    "DL-DE-ZERO-2.0": "dl-zero-de/2.0",
    "LicenseRef-German-Official-Work": "officialWork",
    "PDDL-1.0": "odcpddl",
    "ODC-By-1.0": "odby",
    "ODbL-1.0": "odbl",
    "GFDL-1.3-or-later": "gfdl",
    "Apache-2.0": "apache",
    "BSD-2-Clause": "bsd",
    "BSD-3-Clause": "bsd",
    "MIT": "other-opensource",
}


def corpus_licence(stats: Mapping[str, Any]) -> str:
    """SPDX expression for the whole corpus: AND over the distinct licences it kept."""
    return combine_licences(stats.get("kept_by_license", {}))


def combine_licences(expressions: Iterable[str]) -> str:
    atoms = sorted({atom for expression in expressions for atom in licence_atoms(expression)})
    return " AND ".join(atoms)


def licence_atoms(expression: str) -> list[str]:
    """The single licences (with exceptions) that documents under `expression` carry.

    `A OR B` contributes only the alternative the licence gate chose; refused expressions
    contribute nothing, since no document under them was kept.
    """
    decision = decide(expression)
    if not decision.admitted or decision.chosen is None:
        return []
    return _atoms(_licensing.parse(decision.chosen, validate=False, simple=False))


def _atoms(node: LicenseExpression) -> list[str]:
    if isinstance(node, LicenseSymbol | LicenseWithExceptionSymbol):
        return [_canonical(str(node))]
    if isinstance(node, OR):
        return licence_atoms(str(node))
    if isinstance(node, AND):
        return [atom for arg in node.args for atom in _atoms(arg)]
    return [str(node)]


def _canonical(key: str) -> str:
    decision = decide(key)
    return decision.chosen if decision.admitted and decision.chosen else key


def needs_attribution(expression: str | None) -> bool:
    """Whether passing a document (or a model) on must name its author or keep the licensor's
    notice. An open licence says so by its obligation; a refused one (NC, ND, a model's
    community terms) still binds whoever holds the work: it asks for attribution when any
    licence it names is one of `ATTRIBUTION_REQUIRED`."""
    decision = decide(expression)
    if decision.admitted:
        return decision.obligation >= Obligation.ATTRIBUTION
    return any(key.lower() in ATTRIBUTION_REQUIRED for key in licence_ids(expression))


# Licences, open or not, whose terms ask for attribution or a notice kept (lower-cased ids):
# every Creative Commons BY licence SPDX lists, NC and ND ones included; the German data
# licence BY; Meta's Llama community licences ("Built with Llama", their Notice file); and the
# OpenRAIL-M licences (the notices kept with every copy).
ATTRIBUTION_REQUIRED = frozenset(
    key.lower()
    for key in (
        *(
            entry["spdx_license_key"]
            for entry in get_license_index()
            if str(entry.get("spdx_license_key")).upper().startswith("CC-BY-")
        ),
        "DL-DE-BY-1.0",
        "DL-DE-BY-2.0",
        *("llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4"),
        *("creativeml-openrail-m", "bigscience-openrail-m", "bigcode-openrail-m", "openrail++"),
    )
)


def is_share_alike(expression: str | None) -> bool:
    return decide(expression).obligation >= Obligation.SHARE_ALIKE


def licence_name(expression: str, language: str) -> str:
    """A licence expression as a person reads it, in `language`: each licence by its name
    (the message catalogue's, as the web page names it), AND and OR as words, so a choice
    (`A OR B`) is named as one; a licence without a name, or an expression that does not
    parse, by its id."""
    return said_licence(expression, language, ids=False) or expression


def licence_links(expression: str) -> list[str]:
    """Each licence an expression names (both of a choice), by its id, for links to its text."""
    return licence_ids(expression) or [expression]


def licence_url(spdx: str) -> str | None:
    """Where the licence text is: the SPDX licence page, none for LicenseRef- identifiers."""
    base = spdx.split(" WITH ")[0]
    if base.startswith("LicenseRef-") or " " in base:
        return None
    return f"https://spdx.org/licenses/{base}.html"


def govdata_licence(expressions: Iterable[str]) -> str:
    """GovData licence URI for documents under `expressions` (DCAT-AP allows one per
    distribution): that of their governing licence, else other-open."""
    atoms = sorted({atom for expression in expressions for atom in licence_atoms(expression)})
    governing = governing_licence(atoms)
    if governing is None or governing not in _GOVDATA:
        return GOVDATA_OTHER_OPEN
    return GOVDATA_LICENSES + _GOVDATA[governing]


def governing_licence(atoms: Iterable[str]) -> str | None:
    """The one licence whose terms, kept for every document, honour all of `atoms`: the only
    one that is not a public-domain dedication (CC0-1.0, PDDL-1.0 …, which allow anything),
    or, where all are, CC0-1.0 (else the first). None where two others are present: CC-BY-4.0
    and CC-BY-SA-4.0 (share-alike must not be laid on the CC-BY documents), CC-BY-4.0 and
    DL-DE-BY-2.0 (each asks attribution in its own words): no single licence stands for them."""
    present = set(atoms)
    free = {atom for atom in present if _public_domain(atom)}
    bound = present - free
    if len(bound) == 1:
        return bound.pop()
    if bound or not free:
        return None
    return "CC0-1.0" if "CC0-1.0" in free else sorted(free)[0]


def _public_domain(atom: str) -> bool:
    decision = decide(atom)
    return decision.admitted and decision.obligation == Obligation.NONE
