import json
from pathlib import Path

import pytest

from gemeingut.data.publish import corpus_licence
from gemeingut.data.publish.licenses import (
    GOVDATA_OTHER_OPEN,
    govdata_licence,
    licence_atoms,
    licence_name,
)
from tests.data.publish.conftest import LICENCE_VOCABULARY

GOVDATA = "http://dcat-ap.de/def/licenses/"


def test_corpus_licence_is_the_and_of_every_kept_licence_share_alike_included(
    dataset: Path,
) -> None:
    stats = json.loads((dataset / "stats.json").read_text())
    assert "CC-BY-NC-4.0" in stats["excluded_by_license"]
    assert corpus_licence(stats).split(" AND ") == [
        "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "DL-DE-BY-2.0", "LicenseRef-German-Official-Work",
    ]  # fmt: skip


def test_corpus_licence_counts_only_the_chosen_alternative_of_an_or() -> None:
    stats = {"kept_by_license": {"CC0-1.0 OR CC-BY-4.0": 2, "MIT AND cc-by-sa-4.0": 1}}
    assert corpus_licence(stats) == "CC-BY-SA-4.0 AND CC0-1.0 AND MIT"
    assert licence_atoms("CC-BY-NC-4.0") == []  # refused licences carry nothing


@pytest.mark.parametrize(
    ("spdx", "concept"),
    [
        ("CC0-1.0", "cc-zero"),
        ("CC-BY-4.0", "cc-by/4.0"),
        ("CC-BY-SA-4.0", "cc-by-sa/4.0"),
        ("DL-DE-BY-2.0", "dl-by-de/2.0"),
        ("DL-DE-ZERO-2.0", "dl-zero-de/2.0"),
        ("LicenseRef-German-Official-Work", "officialWork"),
    ],
)
def test_spdx_ids_map_to_open_licences_of_govdatas_vocabulary(spdx: str, concept: str) -> None:
    uri = govdata_licence([spdx])
    assert uri == GOVDATA + concept
    if LICENCE_VOCABULARY.is_file():
        assert uri in _open_govdata_licences()


@pytest.mark.parametrize(
    ("expressions", "concept"),
    [
        (["CC0-1.0", "CC-BY-4.0"], "cc-by/4.0"),
        (["CC-BY-SA-4.0", "CC0-1.0", "DL-DE-ZERO-2.0"], "cc-by-sa/4.0"),
        (["CC0-1.0 OR CC-BY-4.0", "DL-DE-ZERO-2.0", "DL-DE-BY-2.0"], "dl-by-de/2.0"),
        (["DL-DE-ZERO-2.0", "CC0-1.0"], "cc-zero"),
    ],
)
def test_mixed_licences_name_the_only_one_beside_public_domain_dedications(
    expressions: list[str], concept: str
) -> None:
    """One licence per distribution: the only one that is not a public-domain dedication
    (those allow anything, so its terms honour all)."""
    assert govdata_licence(expressions) == GOVDATA + concept


@pytest.mark.parametrize(
    "expressions",
    [
        ["CC-BY-4.0", "DL-DE-BY-2.0"],
        ["CC-BY-SA-4.0", "ODbL-1.0", "CC0-1.0"],
        ["OGL-UK-3.0"],
        ["CC-BY-4.0", "CC-BY-SA-4.0"],
        ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "DL-DE-BY-2.0", "DL-DE-ZERO-2.0"],
    ],
)
def test_mixed_licences_without_one_governing_are_other_open(expressions: list[str]) -> None:
    """Two licences with terms of their own (share-alike must not be laid on CC-BY or DL-DE-BY
    documents, which ask attribution in their own words), or a licence that GovData's
    vocabulary lacks."""
    assert govdata_licence(expressions) == GOVDATA_OTHER_OPEN
    if LICENCE_VOCABULARY.is_file():
        assert GOVDATA_OTHER_OPEN in _open_govdata_licences()


def test_licence_names_are_human_readable() -> None:
    assert licence_name("CC-BY-SA-4.0", "en") == (
        "Creative Commons Attribution-ShareAlike 4.0 International"
    )
    assert (
        licence_name("DL-DE-BY-2.0", "de")
        == "Datenlizenz Deutschland – Namensnennung – Version 2.0"
    )


def test_a_choice_of_licences_is_named_as_a_choice_of_both() -> None:
    """An OR expression names both licences (not only the one the gate relied on), in the
    words of the web page's names (data/licence_names.py), in either language."""
    assert licence_name("CC0-1.0 OR CC-BY-4.0", "de") == (
        "Creative Commons Zero 1.0 Universell oder Creative Commons Namensnennung 4.0 International"
    )
    assert licence_name("CC0-1.0 OR CC-BY-4.0", "en") == (
        "Creative Commons Zero 1.0 Universal or Creative Commons Attribution 4.0 International"
    )
    assert licence_name("CC-BY-4.0 AND (", "de") == "CC-BY-4.0 AND ("  # unparseable: as written


def _open_govdata_licences() -> set[str]:
    from rdflib import Graph, Literal, Namespace

    govdata = Namespace("http://govdata.de/mqa/#")
    graph = Graph().parse(LICENCE_VOCABULARY)
    return {
        str(subject)
        for subject, value in graph.subject_objects(govdata.isOpenLicense)
        if isinstance(value, Literal) and str(value).lower() == "true"
    }
