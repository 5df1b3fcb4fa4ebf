"""The Hugging Face Hub's licence ids, as a card's `license:` names them
(huggingface.co/docs/hub/repositories-licenses), read as SPDX spells them; and the licence a
person most likely meant by an id that is neither.

Most of the Hub's ids are SPDX ids in lower case, which the SPDX index reads regardless of
case (`apache-2.0` is Apache-2.0; `gpl-3.0`, an id SPDX has deprecated, GPL-3.0-only). Those
below differ from SPDX's spelling of the same licence and are mapped. The Hub's ids without an
SPDX counterpart stay as the Hub spells them: the Llama, Gemma and RAIL terms (judged by their
use restrictions, `use_restrictions.py`), research-only terms, and ids without a version (`bsd`,
`cc`, `gfdl`, `lgpl`), which name no one licence.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from license_expression import get_license_index

HUB_TO_SPDX = {
    "pddl": "PDDL-1.0",
    "odbl": "ODbL-1.0",
    "odc-by": "ODC-By-1.0",
    "c-uda": "C-UDA-1.0",
    "lgpl-lr": "LGPLLR",
}
# The Hub's ids of terms SPDX does not list (the Hub's spelling is theirs); its ids `bsd`, `cc`,
# `gfdl`, `lgpl`, `unknown` and `other` name no one licence and are left out.
HUB_OWN = (
    "openrail", "openrail++", "creativeml-openrail-m", "bigscience-openrail-m",
    "bigcode-openrail-m", "bigscience-bloom-rail-1.0", "deepfloyd-if-license",
    "fair-noncommercial-research-license", "h-research", "intel-research", "apple-ascl",
    "apple-amlr", "openmdw-1.0", "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3",
    "llama4", "grok2-community", "gemma",
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s_-]+")
_CLOSE = 0.85  # difflib's similarity above which an id is taken as the one meant


def spdx_of_hub(licence: str) -> str:
    """`licence` as SPDX spells it where it is one of the Hub's ids that SPDX spells otherwise;
    else as given."""
    return HUB_TO_SPDX.get(licence.strip().lower(), licence.strip())


def meant_licence(licence: str) -> str | None:
    """The SPDX id (or Hub id) closest to `licence`, where one is close: the same but for case,
    spaces, hyphens and underscores (`Apache 2.0` → Apache-2.0), or nearly the same spelling."""
    key = _folded(licence)
    ids = _known_ids()
    if key in ids:
        return ids[key]
    close = difflib.get_close_matches(key, list(ids), n=1, cutoff=_CLOSE)
    return ids[close[0]] if close else None


def _folded(licence: str) -> str:
    return _SEPARATORS.sub("", licence.strip().lower())


@cache
def _known_ids() -> dict[str, str]:
    """Every SPDX licence id and the Hub's ids of other terms, by their folded spelling."""
    spdx = [
        str(entry["spdx_license_key"])
        for entry in get_license_index()
        if entry.get("spdx_license_key")
        and not str(entry["spdx_license_key"]).startswith("LicenseRef-")
        and not entry.get("is_exception")
    ]
    return {_folded(key): key for key in [*HUB_OWN, *HUB_TO_SPDX.values(), *spdx]}
