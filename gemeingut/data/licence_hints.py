"""The licence a misspelt licence most likely means (`DL-DE-BY2.0` → DL-DE-BY-2.0, `CC-BY` →
CC-BY-4.0, `CC-BY-4,0` → CC-BY-4.0): one answer for a source's licence (`--license`, a
recipe source's `license`), refused before curation, and for a document's own `license` field,
excluded by the gate, so the two never say different things about the same spelling."""

from __future__ import annotations

import re
from functools import lru_cache

from gemeingut.data.licenses import decide
from gemeingut.model.hub_licences import meant_licence
from gemeingut.model.licence_names import spdx_versions, unknown_licence

# The gate's reasons for a licence that names no licence id: the ones a spelling can explain.
UNNAMED = frozenset({"licence-unknown", "licence-unparseable"})
# German writes a decimal comma: `CC-BY-4,0`.
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_SEPARATOR = re.compile(r"[()\s]+")
_TOKEN = re.compile(r"[()\s]+|[^()\s]+")
_OPERATORS = {"and", "or", "with"}
_APART = re.compile(r"[\s_-]+")  # how a name's words are set apart: `CC BY-SA`, `cc_by_sa`


@lru_cache(maxsize=4096)  # the gate asks once per document, a corpus repeats its licences
def meant_expression(expression: str | None) -> str | None:
    """The expression `expression` most likely means, each misspelt licence id replaced; None
    where it names no licence the gate cannot name, or nothing close is known."""
    if expression is None or not expression.strip() or decide(expression).reason not in UNNAMED:
        return None
    repaired = _DECIMAL_COMMA.sub(".", expression.strip())
    tokens = _TOKEN.findall(repaired)
    kept = [bool(_SEPARATOR.fullmatch(t)) or t.lower() in _OPERATORS for t in tokens]
    if not any(t.lower() in _OPERATORS or "(" in t or ")" in t for t in tokens):
        meant = _meant_id(repaired)  # one licence, perhaps with spaces: `CC BY 4.0`, `CC BY`
    else:
        meant = "".join(t if keep else _meant_id(t) for t, keep in zip(tokens, kept, strict=True))
    if meant == expression.strip() or unknown_licence(meant) is not None:
        return None
    return meant


def _meant_id(key: str) -> str:
    """The SPDX id `key` means: itself when it is one (or terms of one's own), the newest
    version of a licence named without one, else the id spelt nearly the same."""
    if key.lower().startswith("licenseref-"):
        return key
    close = meant_licence(key)
    if close == key:
        return key
    versions = spdx_versions().get(_APART.sub("-", key.strip().lower()))
    if versions:
        return versions[-1]
    return close or key
