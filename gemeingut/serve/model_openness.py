"""What `/v1/models` says about a model's licence and openness — computed, never declared.

For a release bundle it is the bundle's `openness.json`, which `gemeingut verify BUNDLE`
re-computes from the bundle's files; for any other folder it is rated from the folder's files
when the server starts (`gemeingut openness rate`, the same code). A model whose files say
nothing about its licence is served as such (licence null, "Unclassified"), not as open, and so
is a model the server has no files of (an engine behind `--upstream`), unless the operator
names its folder with `--model-card`: then that folder is rated, and the rating says that it
is the operator's word that the engine serves it.
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


def card_openness(card_dir: Path) -> ModelOpenness:
    """The rating of the folder the operator names as the engine's model (`--model-card`)."""
    rated = model_openness(card_dir)
    return rated.model_copy(
        update={
            "source": f"{rated.source}; the folder was named with --model-card: that the "
            "engine serves this model is the operator's statement, not checked"
        }
    )


def unrated() -> ModelOpenness:
    """A model the server has no files of: no licence known, not open."""
    return ModelOpenness(
        open=False,
        mof_class=0,
        mof_label="Unclassified",
        osaid=False,
        licenses={"weights": None, "documents": None, "code": None, "data": None},
        source="not rated: the server has no files of this model (an engine behind "
        "--upstream); name its folder with --model-card DIR to rate it",
        check="gemeingut serve --upstream URL --model-card DIR",
    )
