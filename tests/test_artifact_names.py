"""The "✓ … built" line of a command names its artifact in the reader's language, as
`gemeingut build` names its stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.stage_names import artifact_name, stage_named
from gemeingut.workspace import Artifact


def test_artifacts_are_named_in_the_readers_language() -> None:
    assert artifact_name("model", "de") == "Modell" and artifact_name("model", "en") == "model"
    assert artifact_name("release", "de") == "Release-Paket"
    assert artifact_name("adapter", "de") == "LoRA-Adapter"
    assert artifact_name("adapter", "en") == "LoRA adapter"


def test_a_reproduced_fine_tune_names_its_stages_as_build_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gemeingut.release.rebuild_finetune import _done

    _done("finetune", Artifact(tmp_path, {"id": "mdl-1", "kind": "model"}), False)
    line = capsys.readouterr().err.strip()
    assert line.split()[:3] == ["✓", "Feinabstimmung", "gebaut"], line
    assert stage_named(line.split()[1]) == "finetune"  # as `reproduce` reads it back
