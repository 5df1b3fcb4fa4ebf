"""A LICENSE file that holds the whole text of an open licence and more: a rider appended to
it (the "Commons Clause", a ban on military use) makes it another licence, so the folder is
not rated open under the licence its card names; the usual parts around a licence text (its
copyright line, Apache-2.0's appendix filled in) add no terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

COMMONS_CLAUSE = """
"Commons Clause" License Condition v1.0

The Software is provided to you by the Licensor under the License, as defined below, subject to
the following condition.

Without limiting other conditions in the License, the grant of rights under the License will
not include, and the License does not grant to you, the right to Sell the Software.

For purposes of the foregoing, "Sell" means practicing any or all of the rights granted to you
under the License to provide to third parties, for a fee or other consideration (including
without limitation fees for hosting or consulting/ support services related to the Software), a
product or service whose value derives, entirely or substantially, from the functionality of
the Software. Any license notice or attribution required by the License must also include this
Commons Clause License Condition notice.

Software: tiny
License: Apache 2.0
Licensor: Example Corp
"""
MILITARY = "This software may not be used for military purposes.\n"
MIT = licence_file("MIT").replace(
    "Copyright (c) <year> <copyright holders>", "Copyright (c) 2024 X"
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("riders")
    return {
        "apache": _folder(root / "apache", "apache-2.0"),
        "mit": _folder(root / "mit", "mit"),
        "bsd": _folder(root / "bsd", "bsd-3-clause"),
    }


def _rated(folder: Path, text: str) -> dict:
    (folder / "LICENSE").write_text(text, "utf-8")
    result = rate_folder(folder)
    checks = {c["id"]: c for c in result["checks"]}
    weights = next(
        c for c in result["mof"]["components"] if c["name"] == "Model parameters (Final)"
    )
    return {
        "text": checks["licence.text"],
        "weights": checks["licence.weights"],
        "index": result["osai_index"]["licenses"]["class"],
        "weights_open": weights["license_open"],
    }


def _open(rated: dict) -> bool:
    return (
        rated["text"]["passed"]
        and rated["weights"]["passed"]
        and rated["index"] == "open"
        and rated["weights_open"]
    )


def test_apache_with_the_commons_clause_is_not_open(folders: dict[str, Path]) -> None:
    rated = _rated(folders["apache"], licence_file("Apache-2.0") + COMMONS_CLAUSE)
    assert not rated["text"]["passed"] and not rated["weights"]["passed"]
    assert rated["index"] != "open" and not rated["weights_open"]
    detail = str(rated["text"]["detail"])
    assert 'beginning \'"Commons Clause" License Condition v1.0' in detail, detail
    assert "not Apache-2.0" in detail
    shown = " ".join(invoke("openness", "rate", folders["apache"]).output.split())
    assert (
        "✗ Lizenztext der Gewichte (licence.text): LICENSE enthält den Text von Apache-2.0 und"
    ) in shown
    assert 'beginnend mit „"Commons Clause" License Condition v1.0' in shown
    assert "nicht Apache-2.0" in shown
    assert "Lizenzen: offen" not in shown and "Lizenzen: teilweise" in shown


def test_apache_with_its_appendix_filled_in_and_a_copyright_line_is_open(
    folders: dict[str, Path],
) -> None:
    filled = licence_file("Apache-2.0").replace(
        "Copyright [yyyy] [name of copyright owner]", "Copyright 2024 Stadt Köln"
    )
    rated = _rated(folders["apache"], "Copyright 2024 Stadt Köln\n\n" + filled)
    assert _open(rated), rated


def test_mit_with_its_copyright_line_is_open(folders: dict[str, Path]) -> None:
    assert _open(_rated(folders["mit"], MIT))


def test_mit_with_a_ban_on_military_use_is_not_open(folders: dict[str, Path]) -> None:
    rated = _rated(folders["mit"], MIT + "\n" + MILITARY)
    assert not rated["text"]["passed"] and not rated["weights"]["passed"]
    assert rated["index"] != "open" and not rated["weights_open"]
    assert "9 words more, beginning 'This software may not be used for military purposes'" in (
        str(rated["text"]["detail"])
    )


def test_a_rider_after_a_second_licence_text_is_found(folders: dict[str, Path]) -> None:
    """The texts of two licences in one file add nothing to each other; a rider after both
    is still added text."""
    both = licence_file("Apache-2.0") + "\n\n" + MIT
    assert _rated(folders["apache"], both)["text"]["passed"]
    rated = _rated(folders["apache"], both + "\n" + MILITARY)
    assert "beginning 'This software may not be used" in str(rated["text"]["detail"])


def test_a_condition_in_place_of_an_optional_phrase_is_added_text(
    folders: dict[str, Path],
) -> None:
    """MIT's "this software and associated documentation files" may be worded otherwise; a
    condition written in its place is not such a wording."""
    ridden = MIT.replace(
        "this software and associated documentation files",
        "this software, provided it is not used for military purposes,",
    )
    rated = _rated(folders["mit"], ridden)
    assert not rated["text"]["passed"]
    assert "beginning 'provided it is not used for military purposes'" in str(
        rated["text"]["detail"]
    )
    named = MIT.replace("this software and associated documentation files", "the tiny model")
    assert _open(_rated(folders["mit"], named))


APACHE_NOTICE = """Copyright 2011 Sybren A. Stüvel <sybren@stuvel.eu>

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

   https://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.

"""


def test_apache_with_its_notice_above_the_text_is_open(folders: dict[str, Path]) -> None:
    """The notice Apache-2.0's appendix gives, written above the text as the `rsa` package
    ships it: its address stands on a line of its own, which is no added term."""
    assert _open(_rated(folders["apache"], APACHE_NOTICE + licence_file("Apache-2.0")))


def test_bsd_with_a_list_of_copyright_holders_is_open(folders: dict[str, Path]) -> None:
    """Copyright lines as packages list them (IPython, NetworkX, pypdf): marked as a list,
    "Some contributions copyright (c) …", holders' names with their addresses, a sentence
    naming the licence in place of its title."""
    holders = (
        "NetworkX is distributed with the 3-clause BSD license.\n\n"
        "- Copyright (c) 2008-Present, IPython Development Team\n"
        "- Copyright (c) 2001-2007, Fernando Perez <fernando.perez@colorado.edu>\n"
        "Some contributions copyright (c) 2007, Ashish Kulkarni <kulkarni.ashish@gmail.com>\n"
        "   Aric Hagberg <hagberg@lanl.gov>\n"
        "   Dan Schult <dschult@colgate.edu>\n"
        "All rights reserved.\n\n"
    )
    text = licence_file("BSD-3-Clause")
    body = text[text.index("Redistribution and use") :]
    assert _open(_rated(folders["bsd"], holders + body))
    for rider, start in (
        ("- Copyright holders forbid military use.", "Copyright holders forbid military use"),
        ("Copyright 2024 Acme. Military use is not allowed.", "Military use is not allowed"),
    ):
        rated = _rated(folders["bsd"], f"{holders}{body}\n{rider}\n")
        assert f"beginning '{start}" in str(rated["text"]["detail"]), rider


@pytest.mark.parametrize(
    "rider",
    [
        "Commercial use requires a paid licence from Example Corp.",
        "For research purposes exclusively.",
        "Military use is restricted.",
        "Commercial use needs a licence from Example Corp.",
    ],
)
def test_a_rider_in_place_of_the_title_is_added_text(folders: dict[str, Path], rider: str) -> None:
    """Words written where the licence's title stands may be another title or a holder's name,
    not a condition without "not" or "only" in it."""
    rated = _rated(folders["mit"], f"{rider}\n\n{MIT}")
    assert not rated["text"]["passed"]
    assert f"beginning '{rider.rstrip('.')}" in str(rated["text"]["detail"])
