"""Licences known by the words their texts open with: the licence a LICENSE file holds, for
the code of a release (`licence.code`) and for a model folder that names its licence nowhere
else (fine-tuning's base, `openness rate`). A text's opening words can fit several licences
(MIT and MIT-0); the likeliest comes first.

Licences for weights and data (Creative Commons, the Llama and Gemma terms, OpenRAIL) are known
by their title, which their texts open with: a title is looked for in the opening only, so an
Apache-2.0 text that later cites a Creative Commons licence stays Apache-2.0. Those without an
SPDX id carry the Hugging Face Hub's id (`llama3`, `gemma`, `openrail`), as a card names them.
"""

from __future__ import annotations

import re

LICENCE_TEXTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), tuple(ids))
    for pattern, ids in (
        (r"European Union Public Licen[cs]e v\. ?1\.2", ("EUPL-1.2",)),
        (r"European Union Public Licen[cs]e v\. ?1\.1", ("EUPL-1.1",)),
        (r"Apache License,? Version 2\.0", ("Apache-2.0",)),
        (r"GNU Affero General Public License Version 3", ("AGPL-3.0-only", "AGPL-3.0-or-later")),
        (r"GNU Lesser General Public License Version 3", ("LGPL-3.0-only", "LGPL-3.0-or-later")),
        (r"GNU Lesser General Public License Version 2\.1", ("LGPL-2.1-only", "LGPL-2.1-or-later")),
        (r"GNU General Public License Version 3", ("GPL-3.0-only", "GPL-3.0-or-later")),
        (r"GNU General Public License Version 2", ("GPL-2.0-only", "GPL-2.0-or-later")),
        (r"Mozilla Public License,? (Version|v\.) ?2\.0", ("MPL-2.0",)),
        (r"Permission is hereby granted, free of charge", ("MIT", "MIT-0")),
        (
            r"Redistribution and use in source and binary forms.*Neither the name",
            ("BSD-3-Clause",),
        ),
        (r"Redistribution and use in source and binary forms", ("BSD-2-Clause",)),
        (
            r"Permission to use, copy, modify, and(/or)? distribute this software for any "
            r"purpose with or without fee is hereby granted",
            ("ISC", "0BSD"),
        ),
        (r"This is free and unencumbered software released into the public domain", ("Unlicense",)),
        (r"Boost Software License - Version 1\.0", ("BSL-1.0",)),
        (r"CC0 1\.0 Universal", ("CC0-1.0",)),  # weights and data, not code
    )
)


_OPENING = 600  # characters (whitespace folded) in which a licence's title is looked for
_CC_KINDS = (  # the more specific title first: "Attribution-NonCommercial-ShareAlike" holds more
    ("Attribution-NonCommercial-ShareAlike", "BY-NC-SA"),
    ("Attribution-NonCommercial-NoDerivatives", "BY-NC-ND"),
    ("Attribution-NonCommercial-NoDerivs", "BY-NC-ND"),
    ("Attribution-NonCommercial", "BY-NC"),
    ("Attribution-ShareAlike", "BY-SA"),
    ("Attribution-NoDerivatives", "BY-ND"),
    ("Attribution-NoDerivs", "BY-ND"),
    ("Attribution", "BY"),
)
_CC_VERSIONS = (("4.0 International", "4.0"), ("3.0 Unported", "3.0"), ("3.0 Germany", "3.0-DE"))
TITLES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), tuple(ids))
    for pattern, ids in (
        *(
            (rf"\b{re.escape(words)} {re.escape(version)}\b", (f"CC-{kind}-{suffix}",))
            for words, kind in _CC_KINDS
            for version, suffix in _CC_VERSIONS
        ),
        (r"\bLLAMA 2 COMMUNITY LICENSE AGREEMENT", ("llama2",)),
        (r"\bLLAMA 3 COMMUNITY LICENSE AGREEMENT", ("llama3",)),
        (r"\bLLAMA 3\.1 COMMUNITY LICENSE AGREEMENT", ("llama3.1",)),
        (r"\bLLAMA 3\.2 COMMUNITY LICENSE AGREEMENT", ("llama3.2",)),
        (r"\bLLAMA 3\.3 COMMUNITY LICENSE AGREEMENT", ("llama3.3",)),
        (r"\bGemma Terms of Use\b", ("gemma",)),
        (r"\bCreativeML Open ?RAIL-M\b", ("creativeml-openrail-m",)),
        (r"\bBigScience Open ?RAIL-M\b", ("bigscience-openrail-m",)),
        (r"\bBigCode Open ?RAIL-M\b", ("bigcode-openrail-m",)),
        (r"\bBigScience RAIL License\b", ("bigscience-bloom-rail-1.0",)),
        (r"\bOpen ?RAIL(-[AMSD]+)?\b|\bResponsible AI License", ("openrail",)),
    )
)


def licence_of_text(licence_text: str) -> set[str]:
    """The SPDX ids a licence text can be, from its opening words; empty when none is known."""
    return set(licences_of_text(licence_text))


def likeliest_licence(licence_text: str) -> str | None:
    """The SPDX id a licence text most likely is (the first a known opening fits), or None."""
    found = licences_of_text(licence_text)
    return found[0] if found else None


def licences_of_text(licence_text: str) -> list[str]:
    """The SPDX ids a licence text can be, likeliest first."""
    named = identified_licences(licence_text)
    if named:
        return named
    words = " ".join(licence_text[:20_000].split())
    opening = words[:_OPENING]
    titled = [key for pattern, ids in TITLES if pattern.search(opening) for key in ids]
    return titled[:1] + [
        key for pattern, ids in LICENCE_TEXTS if pattern.search(words) for key in ids
    ]


_IDENTIFIER = re.compile(r"^SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+)$")
_LINK = re.compile(r"^<?https?://\S+>?$")


def identified_licences(licence_text: str) -> list[str]:
    """The ids of a LICENSE that is nothing but SPDX's short identifiers
    (`SPDX-License-Identifier: CC-BY-SA-4.0`), each with a link to its legal code or not:
    the form a release writes for a licence whose legal code a link satisfies (Creative
    Commons, the German data licences). Empty where the file holds anything else (a text is
    known by its words, above)."""
    lines = [line.strip() for line in licence_text[:20_000].splitlines() if line.strip()]
    named = [m.group(1) for line in lines if (m := _IDENTIFIER.match(line))]
    if not named or any(not _IDENTIFIER.match(line) and not _LINK.match(line) for line in lines):
        return []
    return list(dict.fromkeys(named))
