"""A licence named for a release is an SPDX id, the Hugging Face Hub's id of community terms
(`llama3`, `gemma` …) or terms of one's own, which SPDX spells `LicenseRef-NAME`. A bare name
that is none of these ("Amtslizenz", "Foo Bar") would go into the card, SPDX and every other
document as if it were a licence id, and nothing could check it: refused, with the id meant
where one is close (`Apache 2.0`), else the `LicenseRef-` spelling, whose text the release
then asks for; a name without its version means the licence SPDX knows in one version only
(`CC0` → CC0-1.0; `CC-BY` has five). An expression that parses to no licence at all ("MIT OR",
"foo/bar") or names terms of its own that SPDX cannot spell (`LicenseRef-` alone,
`LicenseRef-Foo Bar`) is refused too: it would name nothing anyone could look up."""

from __future__ import annotations

import re
from functools import cache

from license_expression import get_license_index

from gemeingut.data.licenses import ExpressionError, licence_ids, parse_expression
from gemeingut.i18n import Message, _
from gemeingut.model.card_header import licence_ref
from gemeingut.model.hub_licences import meant_licence

# SPDX's idstring: what follows `LicenseRef-` in terms of one's own (ids match in any case,
# SPDX Annex D).
_LICENCE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+", re.IGNORECASE)
# An SPDX id that ends in a version (`CC0-1.0`, `DL-DE-BY-2.0`), the name before it.
_VERSIONED = re.compile(r"(?P<name>.+)-(?P<version>\d+(?:\.\d+)*)")


def unknown_licence(expression: str | None) -> tuple[Message, Message] | None:
    """Why `expression` names a licence that is no id, and what to name instead (None: every
    licence in it is an SPDX id, a Hub id or a `LicenseRef-`; or no licence is named)."""
    if expression is None or not expression.strip():
        return None
    malformed = _malformed(expression)
    if malformed is not None:
        return malformed
    for key in licence_ids(expression):
        if key.lower().startswith("licenseref-"):
            if _LICENCE_REF.fullmatch(key):
                continue
            return (
                _("{licence!r} is no SPDX name for terms of one's own: after LicenseRef- only "
                  "letters, digits, dots and hyphens", licence=key),
                _("name your own terms as {ref}", ref=_own_terms(key)),
            )  # fmt: skip
        meant = meant_licence(key) or _sole_version(key)
        if meant == key:
            continue
        if meant is not None:
            return (
                _("{licence!r} is not an SPDX licence id; did you mean {meant}?", licence=key,
                  meant=meant),
                _("name the licence as SPDX spells it: {meant}", meant=meant),
            )  # fmt: skip
        return (
            _("{licence!r} is neither an SPDX licence id nor terms gemeingut knows: terms of "
              "your own are named {ref}, and a model is released under them with their whole "
              "text", licence=key, ref=licence_ref(key)),
            _("name a standard licence by its SPDX id (https://spdx.org/licenses/), your own "
              "terms as {ref}", ref=licence_ref(key)),
        )  # fmt: skip
    return None


def _sole_version(key: str) -> str | None:
    """The SPDX id of `key` with its version, where SPDX has it in one version only: a name
    too short for `meant_licence`'s likeness (`CC0` is not close to `CC0-1.0` by spelling)."""
    ids = spdx_versions().get(key.strip().lower(), [])
    return ids[0] if len(ids) == 1 else None


@cache
def spdx_versions() -> dict[str, list[str]]:
    """SPDX's versioned ids by their name without the version (lower case), oldest first: for
    a licence named without its version (`CC0`, `CC-BY`), here and in curation's hints."""
    found: dict[str, list[tuple[tuple[int, ...], str]]] = {}
    for entry in get_license_index():
        key = str(entry.get("spdx_license_key") or "")
        match = _VERSIONED.fullmatch(key)
        if match and not entry.get("is_exception") and not key.startswith("LicenseRef-"):
            version = tuple(int(n) for n in match["version"].split("."))
            found.setdefault(match["name"].lower(), []).append((version, key))
    return {name: [key for _v, key in sorted(ids)] for name, ids in found.items()}


def _own_terms(key: str) -> str:
    """`LicenseRef-NAME` spelled as SPDX allows, a placeholder where no name is left."""
    ref = licence_ref(key[len("LicenseRef-") :])
    return ref if ref != "LicenseRef-" else "LicenseRef-NAME"


def _malformed(expression: str) -> tuple[Message, Message] | None:
    """Why `expression` is no licence expression at all (None where it names licences)."""
    try:
        named = parse_expression(expression) is not None and bool(licence_ids(expression))
    except ExpressionError:
        named = False
    if named:
        return None
    return (
        _("{licence!r} is no licence expression", licence=expression),
        _("name the licence by its SPDX id (https://spdx.org/licenses/), several joined with "
          "AND or OR, e.g. Apache-2.0 or MIT OR Apache-2.0"),
    )  # fmt: skip
