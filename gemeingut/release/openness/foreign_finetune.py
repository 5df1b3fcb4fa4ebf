"""Rating a folder that `gemeingut model finetune` wrote (a merged or fully trained model, or a
LoRA adapter) from its own records, as a fine-tune bundle is rated (`finetune_rating.py`).

`finetune.json` names the base model (its folder, licence, model type); the fine-tuning data's
licence is the one `artifact.json` records, or the one the curated dataset's documents carry
(`folder_data_licence.py`). A derivative carries its base's licence; the parts its base's
pretraining shares in (training data and code, metadata, intermediate weights; an adapter's
weights and architecture too) count only where the base publishes them, and the data card,
technical report and paper are the base's. The base is rated from the folder the record names,
with the same rules, where that folder still holds the files the fingerprint was made of; where
it is gone or holds other files, what the base publishes cannot be checked and counts as withheld.

A foreign fine-tune names its base in its own files (`foreign_base.py`); it is rated with the
same rules, from the base's folder where one is here, and with the base's licence unchecked
where none is: then its weights do not count as openly licensed, since nothing shows that the
base allows the licence the fine-tune claims.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, recorded
from gemeingut.json_records import read_object
from gemeingut.model.base_model import (
    OWN_MODEL,
    changed_artifact_files,
    listing_fingerprint,
    recorded_listing,
)
from gemeingut.model.card_header import NamedLicence, all_apply
from gemeingut.model.finetune_base_licence import RELEASE_LICENCE_KEY, own_model_licence
from gemeingut.model.finetune_given import given_as
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE
from gemeingut.release.openness.file_content import joined, missing, noted
from gemeingut.release.openness.finetune_rating import (
    ADAPTER_SHARED,
    BASE_ONLY,
    OWN_DOCUMENTS,
    SHARED,
    fine_tuning_only,
)
from gemeingut.release.openness.folder_data_licence import DataLicence, fine_tuning_data_licence
from gemeingut.release.openness.licences import content_licence
from gemeingut.release.openness.mof import Component, Found, found
from gemeingut.release.openness.result import check
from gemeingut.release.openness.treatment import mof_treatment
from gemeingut.workspace import ARTIFACT_FILE, load_artifact

TRANSFORMERS_LICENCE = "Apache-2.0"  # transformers and peft
LINEAGE_SOURCE = "gemeingut lineage"  # a licence read from the data a model was trained on
_MAX_DEPTH = 3  # a fine-tune of a fine-tune … is rated this many bases deep


@dataclass(frozen=True)
class Lineage:
    """What gemeingut recorded about a fine-tune in its folder, or what a foreign fine-tune's
    files say of its base."""

    folder: Path  # the fine-tune's
    base: dict[str, Any]  # finetune.json's `base_model` (name, path, license, model_type)
    data_licence: str | None
    adapter: bool
    treatment: str  # the MOF's word for the kind of fine-tuning
    declared_in: str = FINETUNE_FILE  # the file (or option) that names the base
    chosen: str | None = None  # the release licence chosen at fine-tuning, checked there
    chosen_as: Message | None = None  # where it was chosen (None: the record does not say)
    data_said: DataLicence | None = None  # where `data_licence` comes from, or why it is unknown

    @property
    def recorded(self) -> bool:
        """gemeingut's own record, which binds the base's folder by its fingerprint."""
        return self.declared_in == FINETUNE_FILE

    @property
    def base_unchecked(self) -> bool:
        """A foreign fine-tune whose base's licence could not be read here."""
        return not self.recorded and not self.base.get("license")

    @property
    def base_name(self) -> str | None:
        """The name recorded, for records (None where the record names none)."""
        name = self.base.get("name")
        return str(name) if name else None

    @property
    def shown_base(self) -> Message | str:
        """The base's name in a message, in the reader's language where none is recorded."""
        return self.base_name or _("base model")

    @property
    def base_path(self) -> Path | None:
        """The base's folder; a relative path (only a hand-edited record holds one) is read from
        the fine-tune's folder, not from wherever the rating runs."""
        path = self.base.get("path")
        return self.folder / str(path) if path else None


def read_lineage(folder: Path) -> Lineage | None:
    """The fine-tune's records in `folder`, None where it holds none."""
    record = _json(folder / FINETUNE_FILE)
    if record is None:
        return None
    params = _field(_json(folder / ARTIFACT_FILE) or {}, "params", folder / ARTIFACT_FILE)
    base = _field(record, "base_model", folder / FINETUNE_FILE)
    data = fine_tuning_data_licence(
        folder,
        params,
        _field(record, "data", folder / FINETUNE_FILE),
        given_as(record, "data_license"),
    )
    treatment = mof_treatment(record)
    return Lineage(
        folder=folder,
        base=base,
        data_licence=data.licence,
        data_said=data,
        adapter=(folder / ADAPTER_CONFIG).is_file(),
        treatment=treatment,
        chosen=str(record.get(RELEASE_LICENCE_KEY) or "") or None,
        chosen_as=given_as(record, "license"),
    )


def with_base_licence(lineage: Lineage) -> Lineage:
    """An older record of our own base names no licence: its folder's lineage gives it, where
    that folder is the base the fine-tune was made from (`--base`, or the path recorded)."""
    base, path = lineage.base, lineage.base_path
    if (
        not lineage.recorded
        or base.get("license")
        or base.get("license_source") != OWN_MODEL
        or path is None
        or not path.is_dir()
        or not made_from(path, base.get("fingerprint"))
    ):
        return lineage
    licence = own_model_licence(path)
    return replace(lineage, base={**base, "license": licence}) if licence else lineage


def lineage_named(folder: Path, named: NamedLicence) -> NamedLicence:
    """A model gemeingut pretrained: the licence its data gives it (`finetune_base_licence.py`),
    where its folder names none (a fine-tune's comes from its record: `derived_licence`)."""
    if named.licence is not None or (folder / FINETUNE_FILE).is_file():
        return named
    licence = own_model_licence(folder)
    if licence is None:
        return named
    return replace(named, licence=licence, source=LINEAGE_SOURCE, evidence=ARTIFACT_FILE)


def lineage_said(named: NamedLicence) -> Message | None:
    """Where a licence `lineage_named` gave comes from (None for one the folder names)."""
    if named.source != LINEAGE_SOURCE:
        return None
    return _(
        "this model was built by gemeingut and names no licence of its own; the data it was "
        "trained on (named in its {file}) binds it to {licence}: that data's share-alike "
        "licences, else all of its licences",
        file=ARTIFACT_FILE,
        licence=str(named.licence),
    )


def _json(path: Path) -> dict[str, Any] | None:
    return read_object(path, _("restore the file from the fine-tuning run"))


def _field(record: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    """A part of a record that the rating asks for keys: an object, or absent."""
    value = record.get(name) or {}
    if not isinstance(value, dict):
        raise InputError(
            _("{path}: {field} is not a JSON object", path=str(path), field=name),
            _("restore the file from the fine-tuning run"),
        )
    return value


def derived_licence(lineage: Lineage, named: NamedLicence) -> tuple[str | None, str, Message]:
    """The fine-tune's licence, the files that say it and why: its base's, and where the
    folder names one too, both."""
    if not lineage.recorded:
        return _declared_licence(lineage, named)
    base = lineage.base.get("license")
    named_by = {named.evidence: named.licence, FINETUNE_FILE: lineage.chosen or base}
    said = {where: licence for where, licence in named_by.items() if licence}
    licence = all_apply(list(said.values())) if said else None
    evidence = ", ".join(said) or FINETUNE_FILE
    if lineage.chosen:
        why = _chosen(lineage, base)
    elif base is None:
        why = _(
            "{file} records no licence of the base model {base}",
            file=FINETUNE_FILE,
            base=lineage.shown_base,
        )
    else:
        why = _(
            "{file} records the licence {base_licence} of the base model {base}, which a "
            "derivative carries",
            file=FINETUNE_FILE,
            base_licence=base,
            base=lineage.shown_base,
        )
    return licence, evidence, why


def _declared_licence(lineage: Lineage, named: NamedLicence) -> tuple[str | None, str, Message]:
    """A foreign fine-tune's licence: its own and its base's where the base's folder names
    one; its own alone, said to be unchecked, where not."""
    base, path = lineage.base.get("license"), lineage.base.get("path")
    if base:
        where = f"{path}/{lineage.base.get('license_evidence')}"
        said = {named.evidence: named.licence, where: base}
        licence = all_apply([x for x in said.values() if x])
        why = _(
            "{file} names the base model {base}; its licence {base_licence} (from {where}) binds "
            "a derivative",
            file=lineage.declared_in,
            base=lineage.shown_base,
            base_licence=base,
            where=where,
        )
        return licence, ", ".join(k for k, v in said.items() if v), why
    if path:
        why = _(
            "{file} names the base model {base}, whose folder {path} names no licence: the "
            "weights' licence is not evidenced",
            file=lineage.declared_in,
            base=lineage.shown_base,
            path=str(path),
        )
    else:
        why = _(
            "{file} names the base model {base}, its licence not checked: a derivative is bound "
            "by it (pass the base's folder with --base DIR, or keep it in the Hugging Face cache)",
            file=lineage.declared_in,
            base=lineage.shown_base,
        )
    return named.licence, ", ".join(dict.fromkeys([named.evidence, lineage.declared_in])), why


def _chosen(lineage: Lineage, base: str | None) -> Message:
    """The licence chosen at fine-tuning, where the record says it was given (an older record
    does not: then no place is named), checked against the base's where the record has it."""
    named = {"file": FINETUNE_FILE, "licence": str(lineage.chosen), "base": lineage.shown_base}
    given = lineage.chosen_as
    if base and given is not None:
        return _(
            "{file} records the licence {licence} chosen at fine-tuning ({given}), checked "
            "there against the licence {base_licence} of the base model {base}",
            given=given,
            base_licence=base,
            **named,
        )
    if base:
        return _(
            "{file} records the licence {licence} chosen at fine-tuning, checked there "
            "against the licence {base_licence} of the base model {base}",
            base_licence=base,
            **named,
        )
    if given is not None:
        return _(
            "{file} records the licence {licence} chosen at fine-tuning ({given}), but no "
            "licence of the base model {base}",
            given=given,
            **named,
        )
    return _("{file} records the licence {licence} chosen at fine-tuning, but no licence of the "
             "base model {base}", **named)  # fmt: skip


@dataclass(frozen=True)
class BaseRating:
    """The base model's rating, or why it cannot be checked (then it publishes nothing)."""

    rating: dict[str, Any] | None
    unchecked: Message | None = None


def base_rating(
    lineage: Lineage, depth: int, rate: Callable[[Path, int], dict[str, Any]]
) -> BaseRating:
    """The base model's rating from the folder the record names, where that folder still holds
    the files the fine-tune was made from: another folder there would rate another model."""
    path = lineage.base_path
    if path is None and not lineage.recorded:
        why = _(
            "the base model {base} named in {file} is not here: what it publishes cannot be "
            "checked",
            base=lineage.shown_base,
            file=lineage.declared_in,
        )
        return BaseRating(None, why)
    if path is None or not path.is_dir() or depth >= _MAX_DEPTH:
        why = _(
            "the base model {base} is not at {path}: what it publishes cannot be checked",
            base=lineage.shown_base,
            path=str(path),
        )
        return BaseRating(None, why)
    if lineage.recorded and not made_from(path, lineage.base.get("fingerprint")):
        why = _(
            "what the base model {base} publishes cannot be checked: the folder at {path} is not "
            "the base this fine-tune was made from (its files differ from the fingerprint {file} "
            "records)",
            base=lineage.shown_base,
            path=str(path),
            file=FINETUNE_FILE,
        )
        return BaseRating(None, why)
    return BaseRating(rate(path, depth + 1))


def made_from(path: Path, fingerprint: object) -> bool:
    """`path`'s fingerprint, made as the fine-tuning made it (`base_model.inspect_base_model`),
    is `fingerprint`: a gemeingut model's artifact id, with the very files its artifact.json
    records (the id hashes what the model was made from, not its weights), or else the hash of
    its file listing."""
    if (path / ARTIFACT_FILE).is_file():
        return load_artifact(path).id == fingerprint and not changed_artifact_files(path)
    fingerprint = str(fingerprint) if fingerprint else None
    return listing_fingerprint(recorded_listing(path, fingerprint)) == fingerprint


def carry(parts: list[Found], lineage: Lineage, base: BaseRating) -> list[Found]:
    """The fine-tune's components with what its base publishes or withholds."""
    rating = base.rating
    rows = {row["name"]: row for row in rating["mof"]["components"]} if rating else {}
    shared = SHARED | ADAPTER_SHARED if lineage.adapter else SHARED
    return [
        _carried(part, rows.get(part.component.name), base.unchecked, lineage, shared)
        for part in parts
    ]


def _carried(
    own: Found,
    base: dict[str, Any] | None,
    unchecked: Message | None,
    lineage: Lineage,
    shared: frozenset[str],
) -> Found:
    name = own.component.name
    if name in BASE_ONLY:
        named = lineage.base_name or "base-model"  # as a bundle names its base's folder
        paths = tuple(f"{named}: {p}" for p in base["evidence"]) if base else ()
        if name in OWN_DOCUMENTS and own.present:  # the fine-tune's own report or paper
            if base is None or not base["present"]:
                return fine_tuning_only(own, OWN_DOCUMENTS[name], lineage.shown_base)
            return replace(own, paths=own.paths + paths)
        if base is None or not base["present"]:
            return _withheld(own, lineage, unchecked)
        return Found(own.component, paths, base["license"], base["license_open"], base["detail"])
    if name not in shared or not own.present:
        return own
    if base is None or not base["present"]:
        return _withheld(own, lineage, unchecked)
    if not base["license_open"]:
        detail = recorded(_("base model: {detail}", detail=base["detail"]))
        return Found(own.component, own.paths, base["license"], False, detail)
    said = _(
        "the base model {base} publishes its own: {files}",
        base=lineage.shown_base,
        files=", ".join(base["evidence"]),
    )
    return replace(own, detail=recorded(joined([own.detail, said])))


def adapter_architecture(
    component: Component, lineage: Lineage, in_transformers: Callable[[str], bool]
) -> Found:
    """A LoRA adapter's architecture: its base's model type (transformers) and the adapter's
    configuration (peft)."""
    model_type = str(lineage.base.get("model_type") or "")
    if not in_transformers(model_type):
        return missing(component, None)
    said = _(
        "a LoRA adapter on {base}, whose model type {model_type} transformers implements",
        base=lineage.shown_base,
        model_type=model_type,
    )
    return noted(found(component, [ADAPTER_CONFIG], TRANSFORMERS_LICENCE), said)


def data_licence_check(data: DataLicence) -> dict[str, Any]:
    """The fine-tuning data's licence, judged from what the folder's sentence on it is read
    from: open, not open, or unknown (and why), as the weights' licence has its check; open
    as the bundle's check judges data (`decide`: an OSI licence of code is no data licence
    `data curate` admits), so that the folder and its release agree."""
    where = data.evidence or ARTIFACT_FILE
    if data.licence is None:
        return check("licence.training-data", False, where, data.said)
    verdict = content_licence(data.licence)
    admitted = decide(data.licence).admitted
    why = (
        verdict.detail
        if admitted or not verdict.open
        else _("not open: {licences}", licences=data.licence)
    )
    return check("licence.training-data", admitted, where, joined([data.said, why]))


def _withheld(part: Found, lineage: Lineage, unchecked: Message | None) -> Found:
    """A part the base's folder does not hold: said as what was looked at, since the base may
    publish it elsewhere (its data in a publication or a release bundle) that nothing in this
    folder leads to."""
    why = unchecked or _(
        "not found from this folder: not in the folder of the base model {base} ({path})",
        base=lineage.shown_base,
        path=str(lineage.base_path),
    )
    return Found(part.component, (), part.licence, False, recorded(why))
