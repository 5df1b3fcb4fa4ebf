"""What `/v1/models` says about a model's licence and openness — computed, never declared.

Every model is rated from its files when the server starts, by the code `gemeingut openness
rate` runs: a release bundle (`model/` beside a MANIFEST and release.json) as `release` and
`verify` rate it, any other folder from what it holds. A model whose files say nothing about
its licence is served as such (licence null, "Unclassified"), not as open, and so is a model
the server has no files of (an engine behind `--upstream`), unless the operator names its
folder with `--model-card`: then that folder is rated, and the rating says that it is the
operator's word that the engine serves it.

A bundle also declares a rating, its `openness.json`. That file is only a claim: anyone who
edits a licence in release.json, model/LICENSE and the card can leave it as it was. So the
server compares it with the rating of the files (about half a second for the demo bundle) and
shows the computed one. Where they differ, the server still starts — the weights serve as well
as before, and an operator who may use the model under its new terms must not be locked out —
but it never passes the declaration on: `/v1/models` (and the page, which reads it) shows the
rating of the files, says in the reader's language that the declared one does not hold
(`declared_held`, `declared`), and the start writes one line on stderr for the operator (once:
not again from each worker process of `--workers`). Whether the files are the released ones
(hashes, signature) stays `gemeingut verify`'s question (seconds, not half of one), named as
the check. A bundle whose files cannot be rated at all (an unreadable release.json) is refused
at start with the reason, as `openness rate` refuses it: the server has no rating to show then.

What a person reads (the class's name, the licences' names, where the rating comes from) is
said in each request's language (`in_language`); the recorded class label, the licences' SPDX
expressions and the commands stay as they are. The number (`mof_class`) is the class met in
full, the verdict `mof_said` and `openness rate` give: a conditional Class III, which the
Model Openness Tool records as 3 (and `mof_label` as it), is 0 beside `mof_conditional`, so
that a client reading the number is not told of a class that the words deny.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from gemeingut.data.licence_names import said_licence
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, current_language, recorded, text
from gemeingut.release.layout import OPENNESS
from gemeingut.release.openness.check_names import check_said
from gemeingut.release.openness.mof import explained, said
from gemeingut.release.openness.sentences import joined

BUNDLE_CHECK = "gemeingut verify BUNDLE"
FOLDER_CHECK = "gemeingut openness rate DIR"


class ModelOpenness(BaseModel):
    open: bool = Field(description="Every openness check passed.")
    mof_class: int = Field(
        description="The Model Openness Framework class met in full: 1 best, 0 none, also for "
        "a conditional Class III (`mof_conditional`), as `mof_said` says."
    )
    mof_conditional: bool = Field(
        default=False,
        description="The rating is the Model Openness Tool's conditional Class III: only the "
        "final weights are openly licensed, other required components are missing; no class "
        "is met in full.",
    )
    mof_label: str = Field(
        description="The class as the rating records it (English, as the Model Openness Tool "
        "names it, a conditional Class III with its note): an id."
    )
    mof_said: str = Field(
        default="",
        description="The class in the reader's language, as `openness rate` says it (a "
        "conditional Class III: that no class is met in full, and the condition).",
    )
    osaid: bool = Field(description="Passes OSI's Open Source AI Definition gate.")
    licenses: dict[str, str | None] = Field(description="Licences of weights, code, data …")
    licenses_said: dict[str, str | None] = Field(
        default_factory=dict,
        description="The same licences in the reader's language: each licence's name with its "
        "SPDX id in brackets, AND and OR as words.",
    )
    source: str = Field(description="Where the rating comes from, and how to check it.")
    check: str = Field(description="The command that computes the rating again.")
    declared_held: bool | None = Field(
        default=None,
        description="Whether the rating the model's files declare (a release bundle's "
        "openness.json) is the one computed from them at start; null: they declare none. "
        "Either way the rating shown here is the computed one.",
    )
    declared: str | None = Field(
        default=None,
        description="Where the declared rating does not hold: what it declares and what the "
        "files give, in the reader's language; null otherwise.",
    )
    _source: Message | None = PrivateAttr(default=None)  # `source`, to say in any language
    _declared: Shown | None = PrivateAttr(default=None)  # a declaration that did not hold
    _failed: frozenset[str] = PrivateAttr(default=frozenset())  # the files' failed checks
    _unknown: dict[str, str] = PrivateAttr(default_factory=dict)  # why a licence is none

    def in_language(self, language: str) -> ModelOpenness:
        """This rating with what a person reads in `language`."""
        update: dict[str, object] = {
            "mof_said": explained(self.mof_label, language, alone=True),
            "licenses_said": {  # none: why, where the rating says it ("no code in the folder")
                part: said_licence(licence, language)
                or (text(self._unknown[part], language) if part in self._unknown else None)
                for part, licence in self.licenses.items()
            },
        }
        if self._source is not None:
            update["source"] = text(self._source, language)
        if self._declared is not None:
            update["declared"] = text(self._not_held(language), language)
        return self.model_copy(update=update)

    def sourced(self, source: Message) -> ModelOpenness:
        """This rating, from `source` (kept in English until said in a reader's language)."""
        rated = self.model_copy(update={"source": recorded(source)})
        rated._source = source
        return rated

    def _not_held(self, language: str) -> Message:
        """What the declaration says and what the files give instead."""
        assert self._declared is not None
        computed = Shown(self.open, self.mof_label, self.licenses, self._failed)
        return _(
            "{file} declares {declared}; its files, rated at start, give {computed}. Shown is "
            "what the files give: the declared rating does not hold (the files were changed "
            "after the release, or this version of gemeingut rates them otherwise); check: "
            "{command}",
            file=OPENNESS,
            declared=self._declared.said(computed, language),
            computed=computed.said(self._declared, language),
            command=self.check,
        )


PARTS: dict[str, Message] = {  # a rating's `licenses`, by their keys
    "weights": _("weights"),
    "code": _("code"),
    "data": _("training data"),
    "test_data": _("test data"),
    "documents": _("documents"),
}


@dataclass(frozen=True)
class Shown:
    """What the server shows of a rating, to compare a declared one with."""

    open: bool
    label: str
    licences: dict[str, str | None]
    failed: frozenset[str] = frozenset()  # the ids of the checks that failed

    def said(self, other: Shown, language: str) -> Message:
        """The class, whether open, the weights' licence and each other licence that is not
        `other`'s, and the checks that fail here but not in `other` (why a rating with the
        same class and licences is not open)."""
        shown = _(
            "{label}, {verdict}",
            label=said(self.label, language),
            verdict=_("open") if self.open else _("not open"),
        )
        for part in {**self.licences, **other.licences}:
            licence = self.licences.get(part)
            if part == "weights" or licence != other.licences.get(part):
                shown = _(
                    "{said}, {part} under {licence}",
                    said=shown,
                    part=PARTS.get(part, part),
                    licence=licence or _("unknown"),
                )
        newly = sorted(self.failed - other.failed)
        if newly:
            checks = joined([check_said(check) for check in newly])
            shown = _("{said}, failing {checks}", said=shown, checks=checks)
        return shown


def model_openness(model_dir: Path) -> ModelOpenness:
    """The rating of the model in `model_dir`, computed from its files (see the module's
    docstring); a bundle's declared rating is compared with it."""
    declared_file = model_dir.parent / OPENNESS
    if model_dir.name == "model" and declared_file.is_file():
        return _bundle_openness(model_dir, _declared(declared_file))
    source = _("rated from the model folder at start; same as: {command}", command=FOLDER_CHECK)
    return _openness(_rate_folder(model_dir), FOLDER_CHECK).sourced(source)


def _bundle_openness(model_dir: Path, declared: dict[str, Any]) -> ModelOpenness:
    """A bundle's rating computed from its files (for a folder beside an openness.json that
    is no gemeingut bundle: its model folder's), and whether its openness.json holds."""
    from gemeingut.release.openness.rate import rate_path, rated_bundle

    bundle = model_dir.parent
    if rated_bundle(bundle) is not None:
        result, check = rate_path(bundle), BUNDLE_CHECK
    else:
        result, check = _rate_folder(model_dir), FOLDER_CHECK
    computed = _openness(result, check)
    if _shown(declared) == _shown(result):
        source = _(
            "{file} of the release bundle, computed again from its files at start; check: "
            "{command}",
            file=OPENNESS,
            command=check,
        )
        return computed.model_copy(update={"declared_held": True}).sourced(source)
    source = _(
        "rated from the bundle's files at start, not as its {file} declares; check: {command}",
        file=OPENNESS,
        command=check,
    )
    rated = computed.model_copy(update={"declared_held": False}).sourced(source)
    mof = declared.get("mof") if isinstance(declared.get("mof"), dict) else {}
    rated._declared = Shown(
        bool(declared.get("open")), str(mof.get("label")), _licences(declared), _failed(declared)
    )
    rated._failed = _failed(result)
    if multiprocessing.parent_process() is None:  # once: not again by each `--workers` process
        language = current_language()  # the operator's
        said = text(rated._not_held(language), language)
        print(f"{bundle}: {said}", file=sys.stderr, flush=True)
    return rated


def _rate_folder(model_dir: Path) -> dict[str, Any]:
    from gemeingut.release.openness.foreign import rate_folder

    return rate_folder(model_dir)


def _declared(path: Path) -> dict[str, Any]:
    try:
        declared = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(
            _("{path}: unreadable ({error})", path=str(path), error=str(error)),
            _("check it with `gemeingut verify`"),
        ) from None
    return declared if isinstance(declared, dict) else {}


def _openness(result: dict[str, Any], check: str) -> ModelOpenness:
    mof = result["mof"]
    conditional = bool(mof.get("conditional", False))
    rated = ModelOpenness(
        open=bool(result["open"]),
        mof_class=0 if conditional else int(mof["class"]),  # no class met in full: none
        mof_conditional=conditional,
        mof_label=str(mof["label"]),
        osaid=bool(result["osaid"]["passed"]),
        licenses=dict(result["licenses"]),
        source="",
        check=check,
    )
    rated._unknown = dict(result.get("licenses_unknown") or {})
    return rated


def _shown(rating: dict[str, Any]) -> tuple[object, ...]:
    """What `/v1/models` shows of a rating (an openness.json, declared or computed): whether
    open, the class, the OSAID gate and the licences."""
    mof = rating.get("mof") if isinstance(rating.get("mof"), dict) else {}
    osaid = rating.get("osaid") if isinstance(rating.get("osaid"), dict) else {}
    conditional = bool(mof.get("conditional", False))
    shown = (rating.get("open"), mof.get("class"), mof.get("label"), conditional)
    return (*shown, osaid.get("passed"), rating.get("licenses"))


def _failed(rating: dict[str, Any]) -> frozenset[str]:
    """The ids of the checks a rating (an openness.json) has failed."""
    checks = rating.get("checks")
    if not isinstance(checks, list):
        return frozenset()
    return frozenset(
        str(c.get("id")) for c in checks if isinstance(c, dict) and c.get("passed") is False
    )


def _licences(rating: dict[str, Any]) -> dict[str, str | None]:
    licences = rating.get("licenses")
    if not isinstance(licences, dict):
        return {}
    return {
        str(part): value if isinstance(value, str) else None for part, value in licences.items()
    }


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
