"""`gemeingut openness rate BUNDLE` shows the bundle's own European Open Source AI Index and
FMTI indicators, read from its `osai-index.yaml` and `fmti.json`, in German (the reasons too,
which the files hold in German beside the English), as it does for a foreign folder; a damaged
index file is named, not a traceback."""

import json
from pathlib import Path

import yaml

from tests.test_cli import invoke


def _said(*args: str) -> tuple[int, str]:
    shown = invoke("openness", "rate", *args)
    return shown.exit_code, " ".join(shown.output.split())  # rich wraps long lines


def test_a_bundle_rated_shows_its_index_grades_and_fmti_indicators(tiny_build) -> None:
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    index = yaml.safe_load((bundle / "osai-index.yaml").read_text("utf-8"))
    fmti = json.loads((bundle / "fmti.json").read_text("utf-8"))
    code, said = _said(tiny_build["release"]["path"])
    assert code == 0, said
    assert "European Open Source AI Index (osai-index.eu):" in said
    weights = index["weights_endmodel"]
    assert weights["class"] == "open"
    assert f"Gewichte des Endmodells: offen ({weights['notes_de']}; Beleg: {weights['link']})" in (
        said
    )
    assert (
        "Begutachteter Fachartikel: geschlossen (eine Begutachtung (Peer Review) lässt sich durch "
        "keine Datei belegen; nicht angegeben; kein Beleg im Bundle)"
    ) in said
    assert "auf Englisch" not in said  # the reasons are in the file in German too
    assert (
        f"Foundation Model Transparency Index: {fmti['met']} von {fmti['listed']} Indikatoren, "
        "die eine Veröffentlichung belegen kann, sind erfüllt (fmti.json)"
    ) in said
    for row in fmti["indicators"]:
        if not row["met"] and row.get("missing"):
            assert f"dem Bundle fehlt {row['missing_de']}" in said
    assert "Data source selection" not in said  # the indicator is named in German
    assert (
        f"ob es die veröffentlichten sind (Hashes, Signatur) und jede Angabe darin stimmt: "
        f"gemeingut verify {tiny_build['release']['path']}" in said
    )


def test_a_bundle_whose_index_file_is_damaged_is_named(bundle: Path) -> None:
    (bundle / "osai-index.yaml").write_text("weights_endmodel: [unclosed\n", "utf-8")
    code, said = _said(str(bundle))
    assert code == 2, said
    assert "osai-index.yaml, Zeile 2, Spalte 1: kein YAML (" in said  # not the parser's English
    assert "expected" not in said and "Traceback" not in said


def test_a_bundle_whose_fmti_is_no_json_is_named_in_german(bundle: Path) -> None:
    (bundle / "fmti.json").write_text('{"met": 1,\n', "utf-8")
    code, said = _said(str(bundle))
    assert code == 2, said
    assert (
        "fmti.json: der Index des Bundles lässt sich nicht lesen (kein gültiges JSON (Zeile 2, "
        "Spalte 1))"
    ) in said


def test_a_bundle_whose_fmti_lacks_its_indicators_is_named(bundle: Path) -> None:
    (bundle / "fmti.json").write_text('{"met": 1, "listed": 2}\n', "utf-8")
    code, said = _said(str(bundle))
    assert code == 2, said
    assert "fmti.json: der Index des Bundles lässt sich nicht lesen" in said
    assert "„indicators“ ist keine Liste von Indikatoren mit „met“" in said
