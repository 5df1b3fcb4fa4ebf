"""Why the common model licences that restrict use are not open: each of them is named by what
it forbids or demands, so that a procurement officer reads the clause, not "not in the list".

The Open Source Definition (§ 5, § 6) and the Open Definition (2.1.8, 2.1.9) allow no
discrimination against persons, groups or fields of endeavour; a licence that denies some users
its grant (Llama's 700 million monthly active users), binds every use to a policy its licensor
may change (Llama's Acceptable Use Policy, Gemma's Prohibited Use Policy) or lists forbidden
uses (the OpenRAIL licences' Attachment A) does both. The licence is known from the card's id
(`llama3`, `gemma`, `openrail`, a `license_name` of `license: other`) or from a LICENSE file's
title (`data/licence_texts.py`), by its family (`data/licence_families.py`).
"""

from __future__ import annotations

from gemeingut.data.licence_families import licence_family
from gemeingut.data.licenses import licence_ids
from gemeingut.i18n import Message, _
from gemeingut.release.openness.sentences import joined

_USERS = _(
    "licensees whose products had more than 700 million monthly active users need a separate "
    "licence from Meta (§ 2)"
)
_LLAMA_POLICY = _("every use is bound by Meta's Acceptable Use Policy (§ 1.b.iv)")
_NO_IMPROVING = _(
    "the model and its outputs may not be used to improve other large language models (§ 1.b.v)"
)
_LLAMA3_NAME = _(
    'a model made with it must be named beginning with "Llama 3" and products must show '
    '"Built with Meta Llama 3" (§ 1.b.i)'
)
_LLAMA_NAME = _(
    'a model made with it must be named beginning with "Llama" and products must show '
    '"Built with Llama" (§ 1.b.i)'
)
_EU_MULTIMODAL = _(
    "its Acceptable Use Policy grants no rights to the multimodal models to individuals "
    "domiciled in, or companies with their principal place of business in, the European Union"
)
_GEMMA_POLICY = _(
    "every use is bound by Google's Gemma Prohibited Use Policy, which Google may update (§ 3.2)"
)
_GEMMA_PASSED_ON = _(
    "whoever passes on the model or a derivative must bind recipients to these use "
    "restrictions (§ 3.1)"
)
_RAIL_USES = _(
    "use-based restrictions: the model and its derivatives may not be used for the uses listed "
    "in Attachment A (paragraph 5), which in the CreativeML and BigScience OpenRAIL-M licences "
    "include medical advice and the administration of justice, law enforcement, immigration or "
    "asylum processes"
)
_RAIL_PASSED_ON = _(
    "whoever passes on the model or a derivative must pass these restrictions on to every "
    "recipient (paragraph 4)"
)
_RESTRICTIONS: dict[str, tuple[Message, ...]] = {
    "llama2": (_USERS, _LLAMA_POLICY, _NO_IMPROVING),
    "llama3": (_USERS, _LLAMA_POLICY, _LLAMA3_NAME, _NO_IMPROVING),
    "llama3.1": (_USERS, _LLAMA_POLICY, _LLAMA_NAME),
    "llama3.2": (_USERS, _LLAMA_POLICY, _LLAMA_NAME, _EU_MULTIMODAL),
    "llama3.3": (_USERS, _LLAMA_POLICY, _LLAMA_NAME),
    "gemma": (_GEMMA_POLICY, _GEMMA_PASSED_ON),
    "openrail": (_RAIL_USES, _RAIL_PASSED_ON),
}


def use_restrictions(expression: str | None) -> Message | str | None:
    """Why `expression` is not open, where a licence in it restricts use in a way we know; the
    licences each with their restrictions (None: none of them is one we know)."""
    said = [
        _(
            "{licence} restricts use, so it is not open: {restrictions}",
            licence=key.removeprefix("LicenseRef-"),
            restrictions=joined(_RESTRICTIONS[family]),
        )
        for key in licence_ids(expression)
        if (family := licence_family(key)) in _RESTRICTIONS
    ]
    return joined(said) if said else None
