"""The MOF's datasets need an open data licence: a software licence (OSI-approved, but not one
for data, such as MPL-2.0) leaves the training and evaluation data not openly licensed, while
the same folder under Apache-2.0, which the corpus gate admits for data, stays Class I."""

from pathlib import Path

import pytest

from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import DATA_SECTION, MODEL_INDEX, _fill, _folder


def _rated(root: Path, card: str, spdx: str) -> dict:
    folder = _folder(root, card, DATA_SECTION, MODEL_INDEX)
    _fill(folder)  # every component, the data as parquet records
    (folder / "LICENSE").write_text(licence_file(spdx), "utf-8")
    return rate_folder(folder)


@pytest.mark.usefixtures("hub_offline")
def test_data_under_a_software_licence_is_not_openly_licensed(tmp_path: Path) -> None:
    result = _rated(tmp_path / "mpl", "mpl-2.0", "MPL-2.0")
    assert result["licenses"]["data"] == "MPL-2.0"
    assert result["mof"]["levels"]["1"]["invalid"] == ["Datasets", "Evaluation data"]
    assert result["mof"]["label"] == "Class III - Open Model"  # the weights: OSI is enough
    datasets = next(c for c in result["mof"]["components"] if c["name"] == "Datasets")
    assert not datasets["license_open"]
    assert (
        "MPL-2.0 is a licence for software (OSI-approved), not an open data licence"
        in (datasets["detail"])
    )
    weights = next(c for c in result["mof"]["components"] if c["name"].endswith("(Final)"))
    assert weights["license_open"]


@pytest.mark.usefixtures("hub_offline")
def test_data_under_a_licence_the_corpus_gate_admits_is_open(tmp_path: Path) -> None:
    result = _rated(tmp_path / "apache", "apache-2.0", "Apache-2.0")
    assert result["mof"]["levels"]["1"] == {"missing": [], "invalid": []}
    assert result["mof"]["label"] == "Class I - Open Science"
