"""Licences known by the words their texts open with: the licence a LICENSE file holds, for
the code of a release (`licence.code`) and for a model folder that names its licence nowhere
else (fine-tuning's base, `openness rate`). A text's opening words can fit several licences
(MIT and MIT-0); the likeliest comes first."""

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


def licence_of_text(licence_text: str) -> set[str]:
    """The SPDX ids a licence text can be, from its opening words; empty when none is known."""
    return set(licences_of_text(licence_text))


def likeliest_licence(licence_text: str) -> str | None:
    """The SPDX id a licence text most likely is (the first a known opening fits), or None."""
    found = licences_of_text(licence_text)
    return found[0] if found else None


def licences_of_text(licence_text: str) -> list[str]:
    """The SPDX ids a licence text can be, likeliest first."""
    words = " ".join(licence_text[:20_000].split())
    return [key for pattern, ids in LICENCE_TEXTS if pattern.search(words) for key in ids]
