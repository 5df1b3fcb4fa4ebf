"""Licences a card and a LICENSE file may name in different words: the Hugging Face Hub's
`openrail` names the family whose members' texts (CreativeML OpenRAIL-M, BigScience OpenRAIL-M,
BigCode OpenRAIL-M, BigScience RAIL 1.0) a LICENSE file holds, and a card's `license: other`
with `license_name: llama3` names the Llama 3 licence by its Hub id. Each Llama and Gemma
family is one licence under several names; the OpenRAIL members are different licences (each
with its own Attachment A), so only the family's own name `openrail` agrees with any of them,
and two members agree only with themselves. Agreeing makes no licence open
(`release/openness/use_restrictions.py` says why). Whole expressions agree by SPDX meaning
(`MIT AND Apache-2.0` is `apache-2.0 AND MIT`): this is the one test of "the same licence" for
a card, a LICENSE file, a GGUF file and a licence the user states for a base model.
"""

from __future__ import annotations

import re

from license_expression import ExpressionError, get_spdx_licensing

from gemeingut.data.licenses import parse_expression

# Checked in order: a more specific version first ("llama3.1" before "llama3").
_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"^(meta)?llama3\.3", "llama3.3"),
        (r"^(meta)?llama3\.2", "llama3.2"),
        (r"^(meta)?llama3\.1", "llama3.1"),
        (r"^(meta)?llama3", "llama3"),
        (r"^(meta)?llama2", "llama2"),
        (r"^gemma", "gemma"),
        (r"openrail|^bigsciencebloomrail|^responsibleailicen[cs]e", "openrail"),
    )
)


# Families of several different licences: a member agrees with the family's name, not with
# another member.
_SEVERAL = frozenset({"openrail"})
_licensing = get_spdx_licensing()


def _normal(key: str) -> str:
    return re.sub(r"[\s_-]+", "", key.strip().lower().removeprefix("licenseref-"))


def licence_family(key: str) -> str | None:
    """The family of one licence id (an SPDX id, a Hub id, a card's `LicenseRef-` name), or
    None for a licence that has no other names here."""
    name = _normal(key)
    return next((family for pattern, family in _FAMILIES if pattern.search(name)), None)


def same_licence(first: str, second: str) -> bool:
    """Whether two licence ids name one licence (or one names the family the other is of), or
    two SPDX expressions the same terms."""
    first, second = first.strip(), second.strip()
    if first.lower() == second.lower() or _same_family(first, second):
        return True
    try:
        one, other = parse_expression(first), parse_expression(second)
    except ExpressionError:
        return False
    if one is None or other is None:
        return one is other
    return _licensing.is_equivalent(one, other)


def _same_family(first: str, second: str) -> bool:
    """Two single ids of one family (an expression such as `llama3 AND MIT` is no member)."""
    if any(char.isspace() or char in "()" for char in first + second):
        return False
    family = licence_family(first)
    if family is None or family != licence_family(second):
        return False
    return family not in _SEVERAL or family in (_normal(first), _normal(second))
