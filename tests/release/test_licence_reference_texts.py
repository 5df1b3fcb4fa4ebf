"""gemeingut's reference texts (`licence_texts.yml`): each is the licence's text verbatim, as
a release ships it in `model/LICENSE`, and compares as whole with itself; the open licences that
users pick and that ask for their text have one, each with its source named."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
import yaml

from gemeingut.release.openness.licence_reference import (
    coverage,
    has_copyright_form,
    known_texts,
    reference_text,
)
from gemeingut.release.openness.licence_text import text_required

ADDED = ("AGPL-3.0", "LGPL-2.0", "GPL-1.0", "MPL-1.1", "EPL-2.0", "EUPL-1.1", "Artistic-2.0",
         "GFDL-1.3")  # fmt: skip
_SOURCE = (files("gemeingut.release.openness") / "licence_texts.yml").read_text("utf-8")


def _folded(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("licence", known_texts())
def test_a_shipped_reference_text_is_the_text_verbatim(licence: str) -> None:
    """The marks of the optional parts go, the words stay where they were: a "]" that closes
    the text's own bracket stays in front of the mark's "]]" (LGPL-2.1's title lost it)."""
    shipped = reference_text(licence) or ""
    assert coverage(licence, shipped).whole
    source = yaml.safe_load(_SOURCE)[licence]
    opening = re.match(r"\s*\[\[(.*?)\]\]", source, re.DOTALL)
    if opening is not None:  # an unfilled copyright form in the opening is left out
        title = re.sub(r"^.*<year>.*$", "", opening.group(1), flags=re.IGNORECASE | re.M)
        source = title + source[opening.end() :]
    expected = source.replace("[[", "").replace("]]", "")
    assert _folded(shipped) == _folded(expected)


@pytest.mark.parametrize("licence", ADDED)
def test_the_licences_users_pick_have_a_text_with_its_source(licence: str) -> None:
    suffixed = ("AGPL", "LGPL", "GPL", "GFDL")  # SPDX ids with -only or -or-later
    spdx = f"{licence}-only" if licence.startswith(suffixed) else licence
    assert text_required(spdx) == [spdx]
    assert reference_text(spdx) is not None
    assert re.search(rf"^# {re.escape(licence)}: \S.*\n{re.escape(licence)}: \|$", _SOURCE, re.M)


def test_each_text_is_its_own_licences() -> None:
    """Versions and siblings differ by more than a copy may: none passes for another (but
    BSD-2-Clause, whose words BSD-3-Clause holds all of, adding a third clause)."""
    for licence in known_texts():
        for other in known_texts():
            if other != licence and (licence, other) != ("BSD-2-Clause", "BSD-3-Clause"):
                assert not coverage(licence, reference_text(other) or "").whole, (licence, other)


def test_a_copyright_form_names_the_holders_or_is_left_out() -> None:
    assert [k for k in known_texts() if has_copyright_form(k)] == [
        "MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC",
    ]  # fmt: skip
    for licence in ("MIT", "ISC", "BSD-2-Clause"):
        named = reference_text(licence, "Ada Lovelace") or ""
        assert "\nCopyright (c) Ada Lovelace\n" in "\n" + named and "<" not in named
        assert "Copyright" not in (reference_text(licence) or "")
    assert "Ada" not in (reference_text("Apache-2.0", "Ada Lovelace") or "")
