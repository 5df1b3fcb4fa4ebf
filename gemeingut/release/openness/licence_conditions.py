"""What a model's own licence asks of whoever releases a model made from it, checked where the
release can see it: a model under terms of their own carries their text, and a model under a
licence that dictates its name (Llama 3: "Llama 3" at the beginning, § 1.b.i) is named so.

Terms of their own (`license: other` with its LICENSE, `license_name: llama3`, `llama2`,
`gemma` …) have no reference text in gemeingut, so the release cannot write `model/LICENSE`
itself: the fine-tuned folder must hold it (`model finetune` copies the base's). A release
without it is refused before anything is written, as is a name the licence forbids; what the
bundle cannot show (a "Built with …" display on the publisher's web page, the Notice line
where the bundle's NOTICE lacks it) is said after the release. The conditions are data
(`licence_conditions.yml`, by licence family), the words here.

A name satisfies a prefix when it begins with the prefix's words, case aside, separated by a
space, hyphen or underscore ("Llama 3 Amt", "llama-3-amt"), as model names are spelled on the
Hugging Face Hub; "Llama 30b" does not begin with "Llama 3".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from gemeingut.data.licence_families import licence_family
from gemeingut.data.licenses import licence_ids
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.hub_licences import HUB_OWN
from gemeingut.model.licence_names import unknown_licence
from gemeingut.release.layout import BUNDLE_DIR, NOTICE
from gemeingut.release.openness.licence_reference import reference_text
from gemeingut.release.openness.weights_licence_text import LICENCE_FILE

_CUSTOM_PREFIX = "licenseref-"


@dataclass(frozen=True)
class Conditions:
    """One licence family's conditions on a released derivative (None: it sets none such)."""

    name_prefix: tuple[str, str] | None  # (clause, prefix)
    display: tuple[str, str] | None  # (clause, words)
    notice: tuple[str, str] | None  # (clause, line)


def custom_licences(expression: str | None) -> list[str]:
    """The licences in `expression` that are terms of their own, whose text gemeingut has not:
    a card's `LicenseRef-` name, a Hub id of community terms (`llama3`, `gemma` …)."""
    return [
        key
        for key in licence_ids(expression)
        if (
            key.lower().startswith(_CUSTOM_PREFIX)
            or key.lower() in HUB_OWN
            or licence_family(key) is not None
        )
        and reference_text(key) is None
    ]


def conditions_of(key: str) -> Conditions | None:
    """The conditions the licence `key` sets (None: none that gemeingut knows)."""
    family = licence_family(key)
    return _table().get(family) if family else None


def check_release_conditions(
    licence: str | None, name: str, folder: Path, base: Path | None
) -> None:
    """Refuse to release the model in `folder` as `name` under `licence` where the licence's
    text is missing or its naming condition is not met; `base`: the base model's folder, where
    the text may be found. A licence that names no licence id is refused first
    (`licence_names.py`)."""
    unknown = unknown_licence(licence)
    if unknown is not None:
        raise InputError(*unknown)
    for key in custom_licences(licence):
        if not (folder / LICENCE_FILE).is_file():
            raise InputError(missing_text(key), _text_hint(folder, base))
    for key in licence_ids(licence):
        found = conditions_of(key)
        if found is None or found.name_prefix is None:
            continue
        clause, prefix = found.name_prefix
        if not _begins_with(name, prefix):
            raise InputError(
                _(
                    "the model's name {name!r} does not begin with {prefix!r}: its licence "
                    "{licence} asks that a model made with it be named beginning with {prefix!r} "
                    "({clause})",
                    name=name,
                    prefix=prefix,
                    licence=_shown(key),
                    clause=clause,
                ),
                _(
                    "name it so: --name {suggested!r} (release.model_name in a recipe)",
                    suggested=f"{prefix} {name}",
                ),
            )


def release_reminders(licence: str | None, release: Path) -> list[Message]:
    """What `licence` asks that the bundle of the release in `release` cannot show, or does
    not (its NOTICE lacks the line), for the releaser to do where the model is published."""
    path = release / BUNDLE_DIR / NOTICE
    notice = path.read_text(encoding="utf-8") if path.is_file() else ""
    said: list[Message] = []
    for key in licence_ids(licence):
        found = conditions_of(key)
        if found is None:
            continue
        if found.display is not None:
            clause, words = found.display
            said.append(
                _(
                    "{licence} asks that {words!r} be shown prominently where the model is "
                    "offered (website, user interface, about page or product documentation, "
                    "{clause}): gemeingut cannot do this for you",
                    licence=_shown(key),
                    words=words,
                    clause=clause,
                )
            )
        if found.notice is not None and found.notice[1] not in notice:
            clause, line = found.notice
            said.append(
                _(
                    "{licence} asks that every copy carry a Notice text file with the line "
                    "{line!r} ({clause}); the bundle's NOTICE lacks it: add it where you publish "
                    "the model",
                    licence=_shown(key),
                    line=line,
                    clause=clause,
                )
            )
    return said


def missing_text(key: str) -> Message:
    """Said alike for a fine-tune (whose folder lacks the file) and for a release of our own
    pretraining (given no --license-file): the hint says where the text goes."""
    return _(
        "{licence} is no standard licence but terms of their own, whose text gemeingut does not "
        "have: a model released under them must carry their whole text, and none was given",
        licence=_shown(key),
    )


def _text_hint(folder: Path, base: Path | None) -> Message:
    """How to give the text: the base's own file where it has one."""
    from gemeingut.model.finetune_licence_text import base_licence_file

    source = base_licence_file(base) if base is not None and base.is_dir() else None
    if source is not None:
        return _(
            "copy the base model's licence text into the fine-tuned folder ({command}), then "
            "release again; a fine-tune made now copies it itself",
            command=f"cp {source} {folder / LICENCE_FILE}",
        )
    return _(
        "put the whole text of the licence, as its publisher gives it, into {path}, then "
        "release again",
        path=str(folder / LICENCE_FILE),
    )


def _begins_with(name: str, prefix: str) -> bool:
    words = r"[ _-]?".join(re.escape(word) for word in prefix.split())
    return re.match(rf"{words}(?![0-9])", name.strip(), re.IGNORECASE) is not None


def _shown(key: str) -> str:
    return key.removeprefix("LicenseRef-")


@cache
def _table() -> dict[str, Conditions]:
    source = (files("gemeingut.release.openness") / "licence_conditions.yml").read_text("utf-8")
    table = yaml.safe_load(source)

    def pair(entry: dict | None, field: str) -> tuple[str, str] | None:
        return (str(entry["clause"]), str(entry[field])) if entry else None

    return {
        family: Conditions(
            name_prefix=pair(said.get("name_prefix"), "prefix"),
            display=pair(said.get("display"), "words"),
            notice=pair(said.get("notice"), "line"),
        )
        for family, said in table.items()
    }
