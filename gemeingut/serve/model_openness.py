"""What `/v1/models` says about a model's licence and openness — computed, never declared.

For a release bundle it is the bundle's `openness.json`, which `gemeingut verify BUNDLE`
re-computes from the bundle's files; for any other folder it is rated from the folder's files
when the server starts (`gemeingut openness rate`, the same code). A model whose files say
nothing about its licence is served as such (licence null, "Unclassified"), not as open, and so
is a model the server has no files of (an engine behind `--upstream`), unless the operator
names its folder with `--model-card`: then that folder is rated, and the rating says that it
is the operator's word that the engine serves it.

What a person reads (the class's name, the licences' names, where the rating comes from) is
said in each request's language (`in_language`); the recorded class label, the licences' SPDX
expressions and the commands stay as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr

from gemeingut.data.licence_names import said_licence
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, recorded, text
from gemeingut.release.openness.mof import said


class ModelOpenness(BaseModel):
    open: bool = Field(description="Every openness check passed.")
    mof_class: int = Field(description="Model Openness Framework class: 1 best, 0 none.")
    mof_conditional: bool = Field(
        default=False,
        description="The class is the Model Openness Tool's conditional Class III: only the "
        "final weights are openly licensed, other required components are missing.",
    )
    mof_label: str = Field(description="The class as the rating records it (English): an id.")
    mof_said: str = Field(default="", description="The class in the reader's language.")
    osaid: bool = Field(description="Passes OSI's Open Source AI Definition gate.")
    licenses: dict[str, str | None] = Field(description="Licences of weights, code, data …")
    licenses_said: dict[str, str | None] = Field(
        default_factory=dict,
        description="The same licences in the reader's language: each licence's name with its "
        "SPDX id in brackets, AND and OR as words.",
    )
    source: str = Field(description="Where the rating comes from, and how to check it.")
    check: str = Field(description="The command that computes the rating again.")
    _source: Message | None = PrivateAttr(default=None)  # `source`, to say in any language

    def in_language(self, language: str) -> ModelOpenness:
        """This rating with what a person reads in `language`."""
        update: dict[str, object] = {
            "mof_said": said(self.mof_label, language),
            "licenses_said": {
                part: said_licence(licence, language) for part, licence in self.licenses.items()
            },
        }
        if self._source is not None:
            update["source"] = text(self._source, language)
        return self.model_copy(update=update)

    def sourced(self, source: Message) -> ModelOpenness:
        """This rating, from `source` (kept in English until said in a reader's language)."""
        rated = self.model_copy(update={"source": recorded(source)})
        rated._source = source
        return rated


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
        check = "gemeingut verify BUNDLE"
        source = _(
            "{file} of the release bundle; check: {command}", file=bundle_result.name, command=check
        )
    else:
        from gemeingut.release.openness.foreign import rate_folder

        result = rate_folder(model_dir)
        check = "gemeingut openness rate DIR"
        source = _("rated from the model folder at start; same as: {command}", command=check)
    return ModelOpenness(
        open=bool(result["open"]),
        mof_class=int(result["mof"]["class"]),
        mof_conditional=bool(result["mof"].get("conditional", False)),
        mof_label=str(result["mof"]["label"]),
        osaid=bool(result["osaid"]["passed"]),
        licenses=dict(result["licenses"]),
        source="",
        check=check,
    ).sourced(source)


def card_openness(card_dir: Path) -> ModelOpenness:
    """The rating of the folder the operator names as the engine's model (`--model-card`)."""
    rated = model_openness(card_dir)
    return rated.sourced(
        _(
            "{source}; the folder was named with {option}: that the engine serves this model is "
            "the operator's statement, not checked",
            source=rated._source,
            option="--model-card",
        )
    )


def unrated() -> ModelOpenness:
    """A model the server has no files of: no licence known, not open."""
    return ModelOpenness(
        open=False,
        mof_class=0,
        mof_label="Unclassified",
        osaid=False,
        licenses={"weights": None, "documents": None, "code": None, "data": None},
        source="",
        check="gemeingut serve --upstream URL --model-card DIR",
    ).sourced(
        _(
            "not rated: the server has no files of this model (an engine behind {upstream}); "
            "name its folder with {option} to rate it",
            upstream="--upstream",
            option="--model-card DIR",
        )
    )
