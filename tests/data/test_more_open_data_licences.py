"""The MOF's preferred data licences (CDLA-Permissive-2.0, CDLA-Sharing-1.0), ODC-PDDL-1.0,
OGL-Canada-2.0 and the GFDL-1.3 ids are open data licences (Open Definition conformant): the
corpus gate admits them with what they demand, the MOF rates Datasets under them as open, a
CDLA-Sharing source must be carried like any share-alike one, and the CDLA texts, granted
only with the data, travel with it in a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.data.licenses import Obligation, decide
from gemeingut.data.publish.licenses import is_share_alike, needs_attribution
from gemeingut.recipe import SourceSpec
from gemeingut.release.openness.data_licence_text import data_licence_files, data_licence_text
from gemeingut.release.openness.evidence import DataLicences, Evidence
from gemeingut.release.openness.licence_reference import coverage
from gemeingut.release.openness.licences import share_alike_conflicts
from tests.corpus import write_jsonl
from tests.data.test_curate import kept_rows, run
from tests.release.conftest import hub_offline  # noqa: F401  (a fixture the MOF test uses)
from tests.release.test_mof_dataset_licence import _rated


@pytest.mark.parametrize(
    ("licence", "canonical", "obligation"),
    [
        ("CDLA-Permissive-2.0", "CDLA-Permissive-2.0", Obligation.ATTRIBUTION),
        ("cdla-permissive-2.0", "CDLA-Permissive-2.0", Obligation.ATTRIBUTION),
        ("CDLA-Sharing-1.0", "CDLA-Sharing-1.0", Obligation.SHARE_ALIKE),
        ("ODC-PDDL-1.0", "ODC-PDDL-1.0", Obligation.NONE),
        ("OGL-Canada-2.0", "OGL-Canada-2.0", Obligation.ATTRIBUTION),
        ("GFDL-1.3-only", "GFDL-1.3-only", Obligation.SHARE_ALIKE),
        ("GFDL-1.3", "GFDL-1.3-only", Obligation.SHARE_ALIKE),  # SPDX's deprecated id
        ("GFDL-1.3-or-later", "GFDL-1.3-or-later", Obligation.SHARE_ALIKE),
    ],
)
def test_the_licence_is_open_with_what_it_demands(
    licence: str, canonical: str, obligation: Obligation
) -> None:
    decision = decide(licence)
    assert (decision.admitted, decision.chosen, decision.obligation) == (
        True,
        canonical,
        obligation,
    )
    assert is_share_alike(licence) == (obligation == Obligation.SHARE_ALIKE)
    assert needs_attribution(licence) == (obligation >= Obligation.ATTRIBUTION)


def test_curate_keeps_a_cdla_permissive_document(tmp_path: Path) -> None:
    docs = [
        {
            "id": "cdla",
            "text": "Offene Daten unter der CDLA. " * 4,
            "license": "CDLA-Permissive-2.0",
            "attribution": "Datenteam",
            "url": "https://example.org/daten",
        },
        {"id": "pddl", "text": "Gemeinfreie Daten. " * 4, "license": "ODC-PDDL-1.0"},
    ]
    stats = run(tmp_path, SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs)))
    assert stats["excluded_by_reason"] == {}
    assert stats["kept_by_license"] == {"CDLA-Permissive-2.0": 1, "ODC-PDDL-1.0": 1}
    assert {row["license"] for row in kept_rows(tmp_path / "out")} == {
        "CDLA-Permissive-2.0",
        "ODC-PDDL-1.0",
    }


def test_a_cdla_sharing_source_must_be_carried() -> None:
    sources = {"CDLA-Sharing-1.0": {"ledger"}, "CDLA-Permissive-2.0": {"table"}}
    assert share_alike_conflicts("Apache-2.0", sources) == {"CDLA-Sharing-1.0": {"ledger"}}
    assert share_alike_conflicts("CDLA-Sharing-1.0", sources) == {}


@pytest.mark.usefixtures("hub_offline")
def test_mof_datasets_are_open_under_cdla_permissive(tmp_path: Path) -> None:
    result = _rated(tmp_path / "cdla", "cdla-permissive-2.0", "CDLA-Permissive-2.0")
    assert result["licenses"]["data"] == "CDLA-Permissive-2.0"
    datasets = next(c for c in result["mof"]["components"] if c["name"] == "Datasets")
    assert datasets["license_open"], datasets
    assert "Datasets" not in result["mof"]["levels"]["1"]["invalid"]


def _evidence(root: Path, licence: str) -> Evidence:
    training, test = DataLicences(), DataLicences()
    training.add(licence, "quelle-a", 3)
    test.add(licence, "quelle-a")
    return Evidence(root, {}, None, training, test, None, set())


@pytest.mark.parametrize("licence", ["CDLA-Permissive-2.0", "CDLA-Sharing-1.0"])
def test_the_cdla_text_travels_with_the_data(tmp_path: Path, licence: str) -> None:
    evidence = _evidence(tmp_path, licence)
    files = data_licence_files(evidence)
    assert sorted(files) == [
        f"test-data/LICENSES/{licence}.txt",
        f"training-data/LICENSES/{licence}.txt",
    ]
    assert all(coverage(licence, text).whole for text in files.values())
    [missing] = data_licence_text(evidence)
    assert not missing["passed"]
    assert "quelle-a" in missing["detail"] and licence in missing["detail"]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    [shipped] = data_licence_text(evidence)
    assert shipped["passed"], shipped


def test_a_link_satisfies_ogl_canada_and_pddl(tmp_path: Path) -> None:
    for licence in ("OGL-Canada-2.0", "ODC-PDDL-1.0"):
        evidence = _evidence(tmp_path, licence)
        assert data_licence_files(evidence) == {}
        assert data_licence_text(evidence) == []
