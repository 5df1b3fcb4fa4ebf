"""Every FMTI indicator `openness rate` lists as not met says why it is not: a folder with an
open licence but no weights lacks full external model access because the weights are missing,
not because "Apache-2.0 is open"."""

from __future__ import annotations

import re
from pathlib import Path

from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.test_cli import invoke


def _without_weights(root: Path) -> Path:
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}', "utf-8")
    (root / "LICENSE").write_text(licence_file("Apache-2.0"), "utf-8")
    return root


def test_each_indicator_not_met_gives_the_reason(tmp_path: Path) -> None:
    folder = _without_weights(tmp_path / "m")
    rows = {row["indicator"]: row for row in rate_folder(folder)["fmti"]["indicators"]}
    access = rows["Full external model access"]
    assert not access["met"]
    assert access["detail"] == "not in the folder: Model parameters (Final)"
    assert rows["Data license"]["detail"] == "not in the folder: Datasets"
    shown = invoke("openness", "rate", folder).output
    lines = [
        line.strip() for line in shown.splitlines() if line.strip().startswith("nicht erfüllt")
    ]
    assert (
        "nicht erfüllt: Voller externer Modellzugang: nicht im Ordner: Modellparameter (final)"
        in (lines)
    )
    assert not [line for line in lines if re.search(r"ist offen|is open", line)], lines
    assert all(line.split(": ", 2)[2].strip() for line in lines), lines  # a reason on each
