"""What `/v1/models` says about a model's licence and openness — computed, never declared.

For a release bundle it is the bundle's `openness.json`, which `gemeingut verify BUNDLE`
re-computes from the bundle's files; for any other folder it is rated from the folder's files
when the server starts (`gemeingut openness rate`, the same code). A model whose files say
nothing about its licence is served as such (licence null, "Unclassified"), not as open.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from gemeingut.errors import InputError
from gemeingut.i18n import _


class ModelOpenness(BaseModel):
    open: bool = Field(description="Every openness check passed.")
    mof_class: int = Field(description="Model Openness Framework class: 1 best, 0 none.")
    mof_label: str
    osaid: bool = Field(description="Passes OSI's Open Source AI Definition gate.")
    licenses: dict[str, str | None] = Field(description="Licences of weights, code, data …")
    source: str = Field(description="Where the rating comes from, and how to check it.")
    check: str = Field(description="The command that computes the rating again.")


def model_openness(model_dir: Path) -> ModelOpenness:
    bundle_result = model_dir.parent / "openness.json"
    if model_dir.name == "model" and bundle_result.is_file():
        try:
            result = json.loads(bundle_result.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(
                _("{path}: unreadable ({error})", path=str(bundle_result), error=str(error)),
                _("check it with `gemeingut verify`"),
            ) from None
        source = f"{bundle_result.name} of the release bundle; check: gemeingut verify BUNDLE"
        check = "gemeingut verify BUNDLE"
    else:
        from gemeingut.release.openness.foreign import rate_folder

        result = rate_folder(model_dir)
        source = "rated from the model folder at start; same as: gemeingut openness rate DIR"
        check = "gemeingut openness rate DIR"
    return ModelOpenness(
        open=bool(result["open"]),
        mof_class=int(result["mof"]["class"]),
        mof_label=str(result["mof"]["label"]),
        osaid=bool(result["osaid"]["passed"]),
        licenses=dict(result["licenses"]),
        source=source,
        check=check,
    )
