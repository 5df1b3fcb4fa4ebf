"""How `openness rate` reads the licence a card names: the Hugging Face Hub's own ids as SPDX
spells them, a misspelt id with the one meant, an expression that does not parse with what is
wrong in the reader's language, and a LicenseRef as the licence it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from license_expression import get_license_index

from gemeingut.model.card_header import canonical
from gemeingut.model.hub_licences import HUB_OWN
from tests.test_cli import invoke

# The Hub's licence ids (huggingface.co/docs/hub/repositories-licenses).
HUB_IDS = (  # noqa: SIM905 (as the Hub's page lists them)
    "apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m "
    "bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause "
    "bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 "
    "cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 "
    "cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 "
    "cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 "
    "etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc "
    "h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl "
    "openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr "
    "deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 "
    "llama3.3 llama4 grok2-community gemma"
).split()
NO_ONE_LICENCE = {"bsd", "cc", "gfdl", "lgpl"}  # ids without a version: no SPDX id


def _folder(root: Path, licence: str) -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text('{"model_type": "llama"}', "utf-8")
    (root / "README.md").write_text(f"---\nlicense: {licence}\n---\n# tiny\n", "utf-8")
    return root


def _weights_line(folder: Path) -> str:
    shown = invoke("openness", "rate", folder).output
    return next(line for line in shown.splitlines() if "(licence.weights)" in line).strip()


def test_every_hub_id_with_an_spdx_id_is_read_as_it() -> None:
    spdx = {
        str(entry["spdx_license_key"])
        for entry in get_license_index()
        if not str(entry.get("spdx_license_key")).startswith("LicenseRef-")
    }
    unread = [
        hub
        for hub in HUB_IDS
        if canonical(hub) not in spdx and hub not in HUB_OWN and hub not in NO_ONE_LICENCE
    ]
    assert not unread


@pytest.mark.parametrize(("hub", "spdx"), [("pddl", "PDDL-1.0"), ("odbl", "ODbL-1.0"),
                                            ("odc-by", "ODC-By-1.0")])  # fmt: skip
def test_the_hubs_odc_ids_are_open(tmp_path: Path, hub: str, spdx: str) -> None:
    line = _weights_line(_folder(tmp_path / hub, hub))
    assert line == f"✓ Lizenz der Gewichte (licence.weights): {spdx} ist offen"


def test_a_misspelt_id_is_said_with_the_one_meant(tmp_path: Path) -> None:
    line = _weights_line(_folder(tmp_path / "m", "Apache 2.0"))
    assert line.endswith("Apache 2.0 steht nicht in gemeinguts Liste offener Lizenzen; meinten "
                         "Sie Apache-2.0?"), line  # fmt: skip


@pytest.mark.parametrize(
    ("licence", "said"),
    [
        ('"(MIT"', "kein SPDX-Ausdruck: die Klammer an Zeichen 1 wird nicht geschlossen"),
        ('"MIT)"', "kein SPDX-Ausdruck: die schließende Klammer an Zeichen 4 hat keine öffnende"),
        (
            '"MIT OR OR BSD-2-Clause"',
            "kein SPDX-Ausdruck: vor „OR“ an Zeichen 8 steht keine Lizenz",
        ),
    ],
)
def test_an_expression_that_does_not_parse_is_said_in_german(
    tmp_path: Path, licence: str, said: str
) -> None:
    line = _weights_line(_folder(tmp_path / "m", licence))
    assert line == f"✗ Lizenz der Gewichte (licence.weights): {said}"


def test_a_licence_ref_is_a_licence_not_on_the_spdx_list(tmp_path: Path) -> None:
    line = _weights_line(_folder(tmp_path / "ref", "LicenseRef-foo"))
    assert "license: other" not in line
    assert "README.md nennt LicenseRef-foo, eine Lizenz, die nicht auf der SPDX-Liste steht" in line
    assert "muss ein Mensch anhand ihres Textes beurteilen; nicht offen" in line
    other = _folder(tmp_path / "other", "other\nlicense_name: foo")
    assert "README.md nennt keine Standardlizenz (license: other)" in _weights_line(other)
