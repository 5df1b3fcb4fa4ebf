"""The README said "a licence the card names wins; `--base-license` is only for models that name
none", while a base whose card and LICENSE file disagree is refused with the hint to state one
with `--base-license`, which is then recorded over the card's. The README's paragraph says what
`model finetune` does, and does it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.model.base_model import inspect_base_model
from tests.model.test_base_model import EUPL
from tests.model.tiny_models import make_model

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_says_when_base_license_counts_as_finetune_does(tmp_path: Path) -> None:
    readme = " ".join(README.read_text(encoding="utf-8").split())
    item = next(part for part in readme.split(" - ") if "`--base-license` is for" in part)
    assert "card and LICENSE file disagree" in item and "recorded (as stated)" in item
    assert "contradicts it is refused" in item and "only for models that name none" not in item
    base = make_model(tmp_path / "base")
    (base / "README.md").write_text("---\nlicense: mit\n---\n# Basis\n", encoding="utf-8")
    with pytest.raises(InputError, match="--base-license"):  # a contradiction is refused
        inspect_base_model(base, "Apache-2.0")
    (base / "LICENSE").write_text(EUPL, encoding="utf-8")  # the card and the file disagree
    with pytest.raises(InputError, match=r"--base-license EUPL-1\.2"):
        inspect_base_model(base)
    stated = inspect_base_model(base, "EUPL-1.2")  # the one stated is recorded, as stated
    assert (stated.license, stated.license_source) == ("EUPL-1.2", "stated")
