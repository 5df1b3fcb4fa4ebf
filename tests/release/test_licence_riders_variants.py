"""Variants of standard licence texts are those licences, and a sentence that adds a condition
is found wherever it stands: the wording SPDX's templates allow for a variable part (BSD-3's
"The name of the author may not be used …"), a preface that says which licence applies and
what the project is, notices in other places; while a restriction, an obligation, a field of
use, a time limit or a revocation in the title's place, a preface, between the clauses or after
the end is quoted, sentence by sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.licence_additions import added_text
from gemeingut.release.openness.licence_reference import coverage
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

MIT = licence_file("MIT").replace(
    "Copyright (c) <year> <copyright holders>", "Copyright (c) 2024 Stadt Köln"
)
BSD3 = licence_file("BSD-3-Clause").replace(
    "Copyright (c) <year> <owner>. All rights reserved.", "Copyright (c) 2011 Stefan Kögl"
)
NEITHER = "Neither the name of the copyright holder nor the names of its contributors may"
APACHE_NOTICE = """Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""
PREFACE = (
    "This project is licensed under the MIT License, see below. It trains small language "
    "models for the public administrations of German cities and publishes every step of "
    "their making. It was written by the city's open data team with help from volunteers.\n\n"
)


def _standard(licence: str, text: str) -> None:
    """`text` holds the whole of `licence` and adds no term to it."""
    found = coverage(licence, text)
    assert found is not None and found.whole, found
    assert added_text(licence, text) is None, added_text(licence, text)


def _quoted(licence: str, text: str) -> str:
    """The sentence quoted as what `text` adds to `licence`."""
    added = added_text(licence, text)
    assert added is not None and added.start is not None, added
    return added.start


@pytest.mark.parametrize(
    "clause",
    [
        "The name of the author may not",
        "The names of its contributors may not",
        "Neither the name(s) of the copyright holders, nor those of its contributors may",
        "Neither the name Facebook nor the names of its contributors may",
    ],
)
@pytest.mark.parametrize("bullet", ["3. ", "* "])
def test_bsd3_with_the_wording_spdx_allows_for_clause_3_is_bsd3(clause: str, bullet: str) -> None:
    """SPDX's template lets clause 3 name whom it protects in these words: "not", "nor",
    "neither" are the clause's own, not an added restriction; numbered or marked."""
    _standard("BSD-3-Clause", BSD3.replace(f"3. {NEITHER}", bullet + clause))


def test_bsd3_variant_taken_as_bsd2_is_no_rider_on_bsd2() -> None:
    """A file with the whole BSD-3-Clause text (the author's clause 3) that the opening words
    take for BSD-2-Clause is BSD-3-Clause, not BSD-2-Clause with a rider."""
    _standard("BSD-2-Clause", BSD3.replace(NEITHER, "The name of the author may not"))


def test_bsd3_with_a_condition_in_clause_3_is_found() -> None:
    """The alternatives excuse clause 3's own words, not a condition written into it."""
    ridden = BSD3.replace(NEITHER, "The name of the author may not be used for research and")
    assert "research" in _quoted("BSD-3-Clause", ridden)


def test_a_preface_that_names_the_licence_and_describes_the_project_adds_nothing() -> None:
    """Over `FILL` words in the title's place, none of them a condition."""
    _standard("MIT", PREFACE + MIT)


@pytest.mark.parametrize(
    ("preface", "licence", "text"),
    [
        (
            "All code in this repository except where explicitly noted otherwise is released "
            "under the Mozilla Public License v 2.0.\n\n",
            "MPL-2.0",
            licence_file("MPL-2.0"),
        ),
        (
            "This Source Code Form is subject to the terms of the Mozilla Public License, v. "
            "2.0. You can obtain a copy at https://mozilla.org/MPL/2.0/.\n\n",
            "MPL-2.0",
            licence_file("MPL-2.0"),
        ),
        (
            "This software is dual-licensed under the ISC and MIT licenses. You may use this "
            "software under EITHER of the following licenses.\n\n",
            "MIT",
            MIT,
        ),
        (
            "The following files are derived from Stackless Python and are subject to the same "
            "license as Stackless Python.\n\n",
            "MIT",
            MIT,
        ),
    ],
)
def test_statements_of_which_licence_applies_add_nothing(
    preface: str, licence: str, text: str
) -> None:
    """ "except where noted otherwise", "under either … licenses", "subject to the same
    license": where the licence applies, not a condition on the recipient."""
    _standard(licence, preface + text)


def test_notices_with_names_that_look_like_conditions_add_nothing() -> None:
    """A company's "LIMITED" and a "Research" institute are names, not a limit or a field."""
    holders = (
        "Copyright 2019-2025 FUJITSU LIMITED\n"
        "Copyright (c) 2010, Linden Research, Inc\n"
        "Copyright (c) 2011-2014 Idiap Research Institute (Ronan Collobert)\n"
    )
    _standard("MIT", MIT + "\n" + holders)
    _standard("MIT", "It was begun at the Tennessee Research Foundation.\n\n" + MIT)
    ridden = MIT + "\nCopyright 2024 Acme. For academic research.\n"
    assert _quoted("MIT", ridden) == "For academic research"
    assert _quoted("MIT", MIT + "\nFree for academic research.\n") == "Free for academic research"


def test_apache_notice_given_again_beside_another_licence_adds_nothing() -> None:
    """Apache-2.0's text, its notice, then the whole BSD-3-Clause text (`dateutil`): the
    notice is a passage of Apache-2.0, not a term added to BSD-3-Clause."""
    _standard("Apache-2.0", licence_file("Apache-2.0") + "\n\n" + APACHE_NOTICE + "\n" + BSD3)


@pytest.mark.parametrize(
    ("rider", "kind"),
    [
        ("Intended for academic research.", "field of use"),
        ("This grant expires on 31 December 2026.", "time limit"),
        ("This grant ends on 31 December 2026.", "time limit"),
        ("Example Corp can revoke this grant.", "revocation"),
        ("Users report every deployment to Example Corp.", "obligation"),
        ("Hosting it as a service is reserved to Example Corp.", "restriction"),
    ],
)
def test_a_condition_in_the_title_place_without_the_old_words_is_found(
    rider: str, kind: str
) -> None:
    """Short enough to stand where a title may, and without "not", "only", "must": still a
    condition, quoted."""
    assert _quoted("MIT", f"{rider}\n\n{MIT}") == rider.rstrip("."), kind


def test_a_condition_inside_a_long_preface_is_the_sentence_quoted() -> None:
    ridden = PREFACE.replace("It was written", "Commercial hosting is excluded. It was written")
    assert _quoted("MIT", ridden + MIT) == "Commercial hosting is excluded"


def test_a_condition_between_the_clauses_is_found() -> None:
    rider = "Sale of the Software is reserved to Example Corp."
    ridden = MIT.replace("THE SOFTWARE IS PROVIDED", f"{rider}\n\nTHE SOFTWARE IS PROVIDED")
    assert _quoted("MIT", ridden) == rider.rstrip(".")


def test_openness_rate_quotes_the_condition_in_a_preface(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "mit")
    ridden = PREFACE.replace("It was written", "Commercial hosting is excluded. It was written")
    (folder / "LICENSE").write_text(ridden + MIT, "utf-8")
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "beginnend mit „Commercial hosting is excluded“" in shown, shown
    (folder / "LICENSE").write_text(PREFACE + MIT, "utf-8")
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "✓ Lizenztext der Gewichte (licence.text): LICENSE enthält den Text von MIT" in shown


@pytest.mark.parametrize(
    "rider",
    [
        "Example Corp retains the right to change these terms.",
        "Deployments in the EU are reported to Example Corp.",
        "Outputs belong to Example Corp.",
        "Attribution to Example Corp is displayed in every product.",
        "Governed by the laws of Germany.",
        "Free for individuals; companies buy a subscription.",
        "This licence is void in the United States.",
        "Example Corp may change this licence whenever it likes.",
        "Competitors of Example Corp receive no licence.",
        "Example Corp's Acceptable Use Policy applies.",
    ],
)
@pytest.mark.parametrize("where", ["title", "between", "end"])
def test_a_condition_is_found_wherever_it_stands(rider: str, where: str) -> None:
    """Reporting, ownership of outputs, attribution, governing law, payment, a void in some
    countries, a licence the licensor may change, other terms that apply: each a condition,
    in the title's place, between the clauses and after the end."""
    ridden = {
        "title": f"{rider}\n\n{MIT}",
        "between": MIT.replace("THE SOFTWARE IS PROVIDED", f"{rider}\n\nTHE SOFTWARE IS PROVIDED"),
        "end": f"{MIT}\n{rider}\n",
    }[where]
    assert _quoted("MIT", ridden) in rider, ridden  # the sentence (after ";") quoted


@pytest.mark.parametrize(
    ("preface", "rider"),
    [
        ("Licensed under MIT.", "This licence is granted to natural persons."),
        ("MIT License.", "Example Corp may alter this licence whenever it likes."),
    ],
)
def test_a_condition_after_a_statement_of_the_licence_in_the_title_s_place_is_found(
    preface: str, rider: str
) -> None:
    """The title's place holds few words: each of its sentences is asked whether it states a
    condition, not the place as a whole (whose statement of the licence would excuse it)."""
    assert _quoted("MIT", f"{preface} {rider}\n\n{MIT}") == rider.rstrip(".")


@pytest.mark.parametrize(
    "request_",
    [
        "If you use this software in your research, please cite it.",
        "Please cite our paper if you use this model.",
    ],
)
@pytest.mark.parametrize("where", ["preface", "end"])
def test_a_request_to_be_cited_adds_no_term(request_: str, where: str) -> None:
    _standard("MIT", f"{request_}\n\n{MIT}" if where == "preface" else f"{MIT}\n\n{request_}\n")


def test_a_request_to_be_cited_that_also_states_a_condition_is_quoted() -> None:
    rider = "If you use this software, please cite it; research use only"
    assert _quoted("MIT", f"{MIT}\n\n{rider}.\n") == "research use only"


HARMLESS = [
    "Changes: updated the copyright year.",
    "This licence is valid for all files in this repository.",
    "The intended use of this model is described in the model card.",
    "A German translation follows for convenience (not legally binding).",
]


@pytest.mark.parametrize("sentence", HARMLESS)
@pytest.mark.parametrize("where", ["title", "end"])
def test_a_sentence_that_states_no_condition_adds_no_term(sentence: str, where: str) -> None:
    """A record of what changed in the file, a scope that covers every file, the use a model
    is meant for, a sentence that says it is not binding: none is a condition on the
    recipient, though each holds a word a condition may hold ("change", "valid", "use of",
    "not")."""
    _standard("MIT", f"{sentence}\n\n{MIT}" if where == "title" else f"{MIT}\n{sentence}\n")


@pytest.mark.parametrize(
    ("rider", "quoted"),
    [
        ("This licence is valid in the European Union.", None),
        ("This licence is valid for one year.", None),
        ("Example Corp may change these terms.", None),
        ("The terms change every year.", None),
        ("The intended use of this model is academic research.", None),
        ("Intended use: research only.", None),
        ("Commercial use is prohibited (not legally binding).", None),
        ("This summary is not binding; commercial use requires a licence.", "commercial use"),
    ],
)
def test_a_condition_beside_the_same_words_is_still_found(rider: str, quoted: str | None) -> None:
    """The rules that let the sentences above pass are narrow: a place or a time after
    "valid", a change that is the licensor's power or befalls the terms, a field of use in
    the intended use, a condition beside "not binding" are conditions all the same."""
    for ridden in (f"{rider}\n\n{MIT}", f"{MIT}\n{rider}\n"):
        assert _quoted("MIT", ridden) in rider, ridden
        if quoted is not None:
            assert _quoted("MIT", ridden).startswith(quoted), ridden


def test_openness_rate_passes_a_licence_with_the_harmless_sentences(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "mit")
    (folder / "LICENSE").write_text(
        HARMLESS[0] + "\n\n" + MIT + "\n" + "\n".join(HARMLESS[1:]) + "\n", "utf-8"
    )
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "✓ Lizenztext der Gewichte (licence.text): LICENSE enthält den Text von MIT" in shown
