"""A conditional Class III gets one verdict wherever it is read: `openness rate`'s line, its
JSON (`class` as the Model Openness Tool records it, `conditional`, and `reached`, the class
met in full) and `/v1/models`' `mof_said`."""

import json
from pathlib import Path

from gemeingut.serve.model_openness import model_openness
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke


def test_openness_rate_its_json_and_the_server_say_the_same_class(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0")
    shown = invoke("openness", "rate", folder)
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.stdout.split())  # the result on stdout, as one line however wrapped
    verdict = said.split("Model Openness Framework: ", 1)[1].split(" Open Source AI", 1)[0]
    assert verdict.startswith("keine Klasse erreicht (Klasse III – Open Model nur bedingt: ")
    rated = json.loads(invoke("openness", "rate", folder, "--json").stdout)["mof"]
    assert (rated["class"], rated["conditional"], rated["reached"]) == (3, True, 0)
    served = model_openness(folder).in_language("de")
    assert (served.mof_class, served.mof_conditional) == (rated["reached"], True)
    assert served.mof_said == verdict
