"""Data information names its sources: a text with licences, sizes and processing but no named
source does not let anyone find the data again, so it is none, and says why; a source named
twice (the card header's `datasets:` id and its Hub link in the section, a DOI and its
resolver's link) is one source."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.data_information import SOURCES, assess, said
from gemeingut.release.openness.foreign import rate_folder
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

UNNAMED = """
## Training data

Federal laws (public domain), 2 billion tokens, collected 2020-2024 and deduplicated.
"""
NAMED_TWICE = """
## Training data

[example/gesetze](https://huggingface.co/datasets/example/gesetze) (public domain),
2 billion tokens; see also https://hf.co/datasets/Example/Gesetze/ and
https://doi.org/10.5281/zenodo.123 (10.5281/zenodo.123).
"""


def _data_card(result: dict) -> dict:
    return next(c for c in result["mof"]["components"] if c["name"] == "Data card")


def test_evidence_without_a_named_source_is_no_data_information() -> None:
    info = assess(UNNAMED)
    assert not info.found[SOURCES] and sum(bool(v) for v in info.found.values()) == 4
    assert not info.counts
    reason = said(info, "README.md").render("en")
    assert reason.startswith("README.md is no data information: it names no source"), reason
    assert "licences (public domain)" in reason  # what it does say, to ask from there


def test_openness_rate_fails_the_gate_and_says_the_source_is_missing(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", UNNAMED)
    result = rate_folder(folder)
    gate = result["osaid"]["requirements"]["data_information"]
    assert not gate["passed"] and "names no source" in gate["detail"], gate
    assert not _data_card(result)["present"]
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "ist keine Dateninformation: genannt ist keine Quelle" in shown, shown


def test_a_source_named_in_the_header_and_its_section_is_one_source(tmp_path: Path) -> None:
    info = assess(NAMED_TWICE, ["example/gesetze"])
    assert info.found[SOURCES] == ("example/gesetze", "https://doi.org/10.5281/zenodo.123")
    assert info.counts
    folder = _folder(tmp_path / "m", "apache-2.0", NAMED_TWICE, "datasets:\n- example/gesetze\n")
    detail = _data_card(rate_folder(folder))["detail"]
    assert "sources (example/gesetze, https://doi.org/10.5281/zenodo.123)" in detail, detail


@pytest.mark.parametrize(
    "text",
    [
        "Federal laws and/or regulations (public domain), 2 billion tokens, deduplicated.",
        "Gesetze/Verordnungen des Bundes (gemeinfrei), 2 Mrd. Tokens, dedupliziert.",
        "Laws from 2020/2021 (public domain), 2 billion tokens, deduplicated.",
    ],
)
def test_words_joined_by_a_slash_name_no_source(text: str) -> None:
    info = assess(text)
    assert info.found[SOURCES] == () and not info.counts, info


@pytest.mark.parametrize(
    ("text", "sources"),
    [
        (
            "Trained on 1 trillion tokens of common crawl and wikipedia.",
            ("common crawl", "wikipedia"),
        ),
        ("Pythia was trained on the Pile, an 825GiB dataset.", ("the Pile",)),
        ("Web data (CC-BY-4.0), 2 billion tokens from www.example.org.", ("www.example.org",)),
        ("Quelle: govdata.de/dl-de/by-2-0, 2 Mio. Tokens.", ("govdata.de/dl-de/by-2-0",)),
        (
            "From allenai/c4 and `wikimedia/wikipedia`, 2B tokens.",
            ("allenai/c4", "wikimedia/wikipedia"),
        ),
        ("From EleutherAI/pile, 300B tokens; write to data@example.org.", ("EleutherAI/pile",)),
    ],
)
def test_sources_named_in_any_case_or_without_a_scheme(text: str, sources: tuple) -> None:
    info = assess(text)
    assert info.found[SOURCES] == sources and info.counts, info
