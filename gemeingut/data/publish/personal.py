"""What the data statement says of personal data, from what curation counted.

The PII scrubber's counts (stats.json, `blocks.pii_scrubber`) and the kinds it was asked to
look for (the dataset record's `pii_types`) say what was found and replaced, by kind, and in
how many documents; what its detectors cannot find is said with it, so that "none found" is
never read as "none there". `verify` renders the statement again from the same records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gemeingut.data.pii import KIND_NAMES, PII_TYPES, PLACEHOLDERS
from gemeingut.i18n import Message, _, plural

LIMITS = _(
    "The detectors find these kinds only in the forms they know, checked where a checksum "
    "exists; anything else personal is not looked for and may remain in the text: names "
    "without a form of address, postal addresses, dates of birth, identifiers written "
    "otherwise, and sensitive information (health, religion, political views) told in words."
)


READ_NOT_KEPT = _(
    "These are counted before duplicates were removed: some of those documents may be copies "
    "that are not in the published data."
)


def personal_data(stats: Mapping[str, Any], params: Mapping[str, Any]) -> list[Message]:
    """The sentences: what was looked for, what was found and replaced, what was not looked
    for, and what the detectors cannot find."""
    block = stats.get("blocks", {}).get("pii_scrubber")
    if block is None or params.get("pii_types") == []:
        return [
            _(
                "Curation did not look for personal data (its `pii_types` is empty): what the "
                "sources hold is in the text."
            )
        ]
    replaced = block.get("replacements", {})
    found = [_found(replaced, block.get("documents_changed", 0))]
    if any(replaced.values()):  # curation replaces before it removes duplicates (`corpus_blocks`)
        found.append(READ_NOT_KEPT)
    asked = params.get("pii_types")
    if asked is None:  # a dataset without its record: what was asked for is not known
        return [*found, LIMITS]
    sought = [kind for kind in PII_TYPES if kind in asked]
    said = [
        _(
            "Curation looked in every document for: {kinds}; each one found was replaced by a "
            "placeholder of its kind ({placeholders}).",
            kinds=_listed([KIND_NAMES[kind] for kind in sought]),
            placeholders=", ".join(f"`{PLACEHOLDERS[kind]}`" for kind in sought),
        ),
        *found,
    ]
    unsought = [kind for kind in PII_TYPES if kind not in sought]
    if unsought:
        said.append(_("Not looked for: {kinds}.", kinds=_listed([KIND_NAMES[k] for k in unsought])))
    return [*said, LIMITS]


def _found(replaced: Mapping[str, int], documents: int) -> Message:
    counted = [(kind, n) for kind, n in replaced.items() if n]
    if not counted:
        return _("Found and replaced: none.")
    counted.sort(key=lambda item: (-item[1], _order(item[0])))
    items = _listed([_counted(kind, n) for kind, n in counted])
    return plural(
        documents,
        _("Found and replaced: {items}, in {count} document.", items=items, count=documents),
        _("Found and replaced: {items}, in {count} documents.", items=items, count=documents),
    )


def _counted(kind: str, n: int) -> Message:
    """`n` found of `kind`, the noun in its number."""
    forms = {
        "email": (_("{count} e-mail address", count=n), _("{count} e-mail addresses", count=n)),
        "iban": (_("{count} IBAN", count=n), _("{count} IBANs", count=n)),
        "tax_id": (_("{count} tax id", count=n), _("{count} tax ids", count=n)),
        "ip_address": (_("{count} IP address", count=n), _("{count} IP addresses", count=n)),
        "phone": (_("{count} phone number", count=n), _("{count} phone numbers", count=n)),
        "person_name": (_("{count} name", count=n), _("{count} names", count=n)),
    }
    if kind not in forms:  # a kind of another gemeingut's: named by its code
        return _("{count} × `{kind}`", count=n, kind=kind)
    return plural(n, *forms[kind])


def _order(kind: str) -> int:
    return PII_TYPES.index(kind) if kind in PII_TYPES else len(PII_TYPES)


def _listed(names: list[Message]) -> Message:
    """`a`, `a and b`, `a, b and c`, in the reader's language."""
    if len(names) == 1:
        return names[0]
    joined = names[0]
    for name in names[1:-1]:
        joined = _("{names}, {name}", names=joined, name=name)
    return _("{names} and {name}", names=joined, name=names[-1])
