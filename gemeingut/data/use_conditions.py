"""Use conditions beyond licences: terms a community attaches to its data.

Some are machine-checked at release time (a use they forbid is refused there); any other text
is carried along and shown in the documents, marked as not machine-checked. `open-model-only`
asks for an open licence of the model: the weights' licence is judged as the rating judges it
(`release/openness/licences.py`: Open-Definition-conformant or OSI-approved, EUPL-1.2 and
MPL-2.0 included), not by the list of licences that data may enter the corpus under.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gemeingut.i18n import Recorded, _, recorded
from gemeingut.release.openness.licences import content_licence


@dataclass(frozen=True)
class ReleaseTerms:
    """What a release intends, as far as use conditions care."""

    model_license: str
    commercial_use: bool


KNOWN_CONDITIONS = {
    "non-commercial": "models trained on this data may not be used commercially",
    "open-model-only": "models trained on this data must be released under an open licence",
}


def violations(conditions: Mapping[str, list[str]], terms: ReleaseTerms) -> list[Recorded]:
    """One sentence per source condition that the intended release would break, naming the
    source (a record's English, shown to a reader in their language by `i18n.text`)."""
    found = []
    model = content_licence(terms.model_license)
    for source, codes in sorted(conditions.items()):
        if "non-commercial" in codes and terms.commercial_use:
            said = _(
                "source {source!r} allows non-commercial use only, but the release permits "
                "commercial use",
                source=source,
            )
            found.append(recorded(said))
        if "open-model-only" in codes and not model.open:
            said = _(
                "source {source!r} requires an open model licence, but the release uses "
                "{licence!r} ({detail})",
                source=source,
                licence=terms.model_license,
                detail=model.detail,
            )
            found.append(recorded(said))
    return found


def unchecked(conditions: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Conditions given as free text: recorded and published, not enforced."""
    result = {s: [c for c in codes if c not in KNOWN_CONDITIONS] for s, codes in conditions.items()}
    return {s: codes for s, codes in result.items() if codes}
