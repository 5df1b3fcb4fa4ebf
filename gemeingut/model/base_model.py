"""What a fine-tuning run starts from: a local Hugging Face causal-LM directory, ours or not.

Its licence and card are read so the new model's lineage names them, and so a release the base
model's licence forbids is refused before any training. The licence is the one its card and
LICENSE file name (`card_header.py`, which `openness rate` reads the same way), else the user's
(`base_license`); where card and LICENSE file disagree, only the user can say which licence they
hold. A gemeingut model artifact has no licence yet: its data's terms apply, and the release
stage checks those.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from license_expression import OR, ExpressionError, get_spdx_licensing

from gemeingut.data.licence_families import same_licence
from gemeingut.data.licenses import Obligation, decide, licence_ids, parse_expression
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file, sha256_json
from gemeingut.i18n import Message, _
from gemeingut.model.card_header import (
    CARD_FILE,
    LICENSE_FILES,
    NamedLicence,
    named_licence,
    read_card,
)
from gemeingut.model.finetune_base_folder import base_model_folder, released_name
from gemeingut.model.licence_names import unknown_licence
from gemeingut.release.openness.licences import content_licence
from gemeingut.workspace import ARTIFACT_FILE, load_artifact

__all__ = [
    "CARD_FILE",
    "LICENSE_FILES",
    "BaseModelFacts",
    "bookkeeping",
    "changed_artifact_files",
    "differing_files",
    "file_listing",
    "files_said",
    "inspect_base_model",
    "listing_fingerprint",
    "recorded_listing",
    "release_refusal",
    "unchanged_artifact",
]
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")
OWN_MODEL = "gemeingut-artifact"
# Top-level entries of a model folder that are no part of the model (see `file_listing`).
BOOKKEEPING = frozenset({".cache", ".git", ".huggingface", ".gitattributes"})
_NO_DERIVATIVES = re.compile(r"(^|[-\s(])ND(-|$|[\s)])", re.IGNORECASE)
_licensing = get_spdx_licensing()
NON_COMMERCIAL = "licence-non-commercial"  # `decide`'s reason for an NC licence
# Licences that bind derivatives to the same terms (copyleft), by their SPDX ids' beginnings.
_SAME_TERMS = re.compile(
    r"^(A?GPL|LGPL|EUPL|MPL|EPL|CDDL|OSL|CC-BY-SA|ODbL|OpenRAIL)", re.IGNORECASE
)


@dataclass(frozen=True)
class BaseModelFacts:
    """The recorded facts about a base model."""

    name: str
    path: str
    fingerprint: str  # an artifact id, or sha256 of its files
    architecture: str
    model_type: str
    license: str | None
    license_source: str  # "card", "LICENSE file", "stated", "gemeingut artifact", "none"
    card_sha256: str | None
    card_base_model: list[str]
    # Every file of a foreign base's folder with its sha256 (the fingerprint hashes this list),
    # so a folder given later that is not the base can be told by its files; None for our own
    # artifacts (their fingerprint is their id) and for records made before it was kept.
    files: dict[str, str] | None = None

    @property
    def own(self) -> bool:
        return self.license_source == OWN_MODEL

    def record(self) -> dict[str, Any]:
        return asdict(self)


def inspect_base_model(
    path: Path, stated_license: str | None = None, check_files: bool = True
) -> BaseModelFacts:
    """Check that `path` is a loadable model directory and read its licence and card.

    `check_files`: also hash a gemeingut artifact's files against its record
    (`unchanged_artifact`); a caller that only reuses an earlier fine-tune leaves it out."""
    path = path.resolve()  # recorded for later loading (an adapter's base), from anywhere
    if not path.exists():
        raise InputError(
            _("base model {path} does not exist", path=str(path)),
            _(
                "check the path; a model of the Hugging Face Hub is downloaded first (e.g. "
                "`huggingface-cli download NAME --local-dir DIR`), then DIR is passed"
            ),
        )
    if not path.is_dir():
        raise InputError(
            _("base model {path} is not a directory", path=str(path)),
            _("pass a local model folder"),
        )
    path = base_model_folder(path)  # a release's, or the folder itself; no adapter
    config = _config(path)
    if not any(next(path.glob(pattern), None) for pattern in WEIGHT_PATTERNS):
        raise InputError(
            _(
                "base model directory {path} has no weights (*.safetensors or pytorch_model*.bin)",
                path=str(path),
            ),
            _(
                "download the whole model folder (e.g. `huggingface-cli download NAME "
                "--local-dir DIR`), or pass the folder that holds its weight files"
            ),
        )
    if not any((path / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")):
        raise InputError(
            _(
                "base model directory {path} has no tokenizer (tokenizer.json or "
                "tokenizer_config.json)",
                path=str(path),
            ),
            _(
                "a model folder from the Hugging Face Hub holds its tokenizer files; copy them "
                "there"
            ),
        )
    card = read_card(path)
    header = card.header if card is not None else {}
    own = (path / ARTIFACT_FILE).is_file()
    if own and check_files:
        unchanged_artifact(path)
    license_, source = _license(named_licence(path, card), stated_license, own)
    architectures = config.get("architectures") or ["unknown"]
    base_model = header.get("base_model") or []
    files = None if own else file_listing(path)
    return BaseModelFacts(
        name=str(header.get("model_name") or released_name(path) or path.name),
        path=str(path),
        fingerprint=load_artifact(path).id if files is None else listing_fingerprint(files),
        architecture=str(architectures[0]),
        model_type=str(config.get("model_type", "unknown")),
        license=license_,
        license_source=source,
        card_sha256=card.sha256 if card is not None else None,
        card_base_model=[base_model] if isinstance(base_model, str) else list(base_model),
        files=files,
    )


def _config(path: Path) -> dict[str, Any]:
    file = path / "config.json"
    if not file.is_file():
        raise InputError(
            _("{path} is not a Hugging Face model directory (no config.json)", path=str(path)),
            _("pass the folder that holds config.json, the weights and the tokenizer"),
        )
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{file}: not valid JSON ({error})", file=str(file), error=str(exc)),
            _("restore the file"),
        ) from None


def _license(named: NamedLicence, stated: str | None, own: bool) -> tuple[str | None, str]:
    """The licence the model names; the user's statement only where it names none, or where
    its card and LICENSE file disagree (then only the user knows which one they hold)."""
    if named.disagreement:
        if stated:
            return stated, "stated"
        raise InputError(
            _(
                "the base model's card names the licence {card}, but its {file} holds {other}: "
                "they disagree",
                card=named.card,
                file=named.file[1],
                other=named.file[0],
            ),
            _(
                "pass the licence you hold for this model with --base-license SPDX "
                "(finetune.base_license in a recipe), e.g. --base-license {other}, or ask the "
                "publisher which one applies",
                other=named.file[0],
            ),
        )
    if named.licence is None:
        return (stated, "stated") if stated else (None, OWN_MODEL if own else "none")
    if stated and not same_licence(stated, named.licence):
        raise InputError(
            _(
                "--base-license {stated} contradicts the base model's own licence {named} "
                "(from its {source})",
                stated=stated,
                named=named.licence,
                source=_SOURCE_NAMES.get(named.source, named.source),
            ),
            _(
                "leave --base-license out: it is only for models that name no licence, or whose "
                "card and LICENSE file disagree"
            ),
        )
    return named.licence, named.source


_SOURCE_NAMES = {"card": _("model card"), "LICENSE file": _("LICENSE file")}


def unchanged_artifact(path: Path) -> None:
    """A gemeingut model's fingerprint is its artifact id, which its files do not change: a
    fine-tune of a folder whose weights were replaced would name a model it was not made from."""
    changed = changed_artifact_files(path)
    if changed:
        raise InputError(
            _(
                "base model {path}: its files are not the ones its {file} records (changed, "
                "missing or added: {files})",
                path=str(path),
                file=ARTIFACT_FILE,
                files=", ".join(changed),
            ),
            _("restore the folder as the gemeingut stage wrote it, or build the model again"),
        )


def changed_artifact_files(path: Path) -> list[str]:
    """The files of the gemeingut artifact in `path` that are not the ones its artifact.json
    records: changed, missing or added (artifact.json itself and the bookkeeping
    `file_listing` leaves out aside). A record without a file list lists as all changed."""
    recorded = load_artifact(path).meta.get("files")
    recorded = recorded if isinstance(recorded, dict) else {}
    expected = {rel: digest for rel, digest in recorded.items() if not bookkeeping([rel])}
    present = file_listing(path)
    present.pop(ARTIFACT_FILE, None)
    differing = present.keys() | expected.keys()
    return sorted(rel for rel in differing if present.get(rel) != expected.get(rel))


def file_listing(path: Path, with_bookkeeping: bool = False) -> dict[str, str]:
    """Every file of a foreign model's folder with its sha256: what its fingerprint hashes, and
    what a fine-tune's release bundle lists of its base (`base-model/files.json`). Left out:
    the bookkeeping of git and of `huggingface-cli download --local-dir` (`.cache/` changes
    with every download, so a fresh download of the same model would never match), and
    `.gitattributes` (git LFS settings: no part of the model, present in a clone or a full
    download but not in a folder of the model's files alone). `with_bookkeeping`: as gemeingut
    listed a folder before it left them out."""
    rels = sorted(e.relative_to(path).as_posix() for e in path.rglob("*") if e.is_file())
    if not with_bookkeeping:
        rels = [rel for rel in rels if not bookkeeping([rel])]
    return {rel: "sha256:" + sha256_file(path / rel) for rel in rels}


def recorded_listing(path: Path, fingerprint: str | None) -> dict[str, str]:
    """The listing of `path` made as `fingerprint` was: without bookkeeping files, or, for a
    fine-tune recorded before they were left out, with them (so the folder it was made from
    still matches). The new listing where neither matches."""
    listing = file_listing(path)
    if listing_fingerprint(listing) != fingerprint:
        older = file_listing(path, with_bookkeeping=True)
        if listing_fingerprint(older) == fingerprint:
            return older
    return listing


def differing_files(found: dict[str, str], listed: dict[str, str]) -> list[str]:
    """The files present in one listing only, or with another sha256 in each."""
    return sorted(p for p in found.keys() | listed.keys() if found.get(p) != listed.get(p))


def files_said(paths: list[str], most: int = 5) -> str:
    """The first `most` of `paths`, and "…" where there are more."""
    return ", ".join(paths[:most]) + (" …" if len(paths) > most else "")


def bookkeeping(paths: list[str]) -> list[str]:
    """The paths of `paths` that `file_listing` leaves out."""
    return [p for p in paths if p.split("/", 1)[0] in BOOKKEEPING]


def listing_fingerprint(listing: dict[str, str]) -> str:
    return "sha256:" + sha256_json(listing)


UNKNOWN_HINT = _(
    "read the base model's licence and state it with --base-license SPDX "
    "(finetune.base_license in a recipe), or add `license:` to its README.md card"
)


def release_refusal(
    base: BaseModelFacts, release_license: str | None
) -> tuple[Message, Message] | None:
    """Why the base model's licence forbids releasing a derivative under `release_license`,
    and what to do (None: it does not, or no release licence was named yet); a release licence
    that names no licence id (`licence_names.py`) is refused first, of any base."""
    if release_license is None:
        return None
    unknown = unknown_licence(release_license)
    if unknown is not None:
        return unknown
    if base.own:
        return None
    if base.license is None:
        reason = _(
            "the base model {base} names no licence (no 'license' in its card, no LICENSE file "
            "we recognise in {path}), so nobody can tell whether a derivative may be released "
            "under {licence}",
            base=base.name,
            path=base.path,
            licence=release_license,
        )
        return reason, UNKNOWN_HINT
    if _non_commercial_to_open(base.license, release_license):
        reason = _(
            "the base model's licence {base} forbids commercial use, also of a derivative: a "
            "fine-tune of it cannot be released under an open licence such as {licence}",
            base=base.license,
            licence=release_license,
        )
        return reason, _(
            "release it under the base model's licence {base} (it is then rated as not open), "
            "or fine-tune a base model under an open licence",
            base=base.license,
        )
    if _NO_DERIVATIVES.search(base.license):  # NC-ND counts as NC in the data policy
        reason = _("the base model's licence {base} forbids derivatives", base=base.license)
        return reason, _("fine-tune a base model whose licence allows derivatives")
    reason = _forbidden(base.license, release_license)
    if reason is None:
        return None
    return reason, _(
        "release under the base model's own terms: --license {base} (release.license in a "
        "recipe), or fine-tune another base model",
        base=base.license,
    )


def _non_commercial_to_open(base_license: str, release_license: str) -> bool:
    """An open release licence for a derivative of a base that forbids commercial use (and
    allows derivatives): no open licence can lift that restriction. The release licence is
    judged as weights are (`content_licence`: EUPL-1.2 and MPL-2.0 are open, too)."""
    return (
        not _NO_DERIVATIVES.search(base_license)
        and decide(base_license).reason == NON_COMMERCIAL
        and content_licence(release_license).open
        and not _same_terms(base_license, release_license)
    )


def _forbidden(base_license: str, release_license: str) -> Message | None:
    same = _same_terms(base_license, release_license)
    decision = decide(base_license)
    if decision.admitted and decision.obligation < Obligation.SHARE_ALIKE:
        return None
    if same or _permissive_weights(base_license):
        return None
    if decision.admitted or _copyleft(base_license):
        return _(
            "the base model's licence {base} is share-alike: a derivative must be released "
            "under {base}, not {licence}",
            base=base_license,
            licence=release_license,
        )
    return _(
        "the base model's licence {base} is not an open licence we know ({detail}); a "
        "derivative may only be released under the same terms, not under {licence}",
        base=base_license,
        detail=decision.detail,
        licence=release_license,
    )


def _permissive_weights(licence: str) -> bool:
    """Open as weights are (`content_licence`: ISC, Zlib, MulanPSL-2.0 … beside the data
    policy's list) and binding no derivative to its own terms (no copyleft part)."""
    verdict = content_licence(licence)
    return verdict.open and not verdict.share_alike and not _copyleft(licence)


def _copyleft(licence: str) -> bool:
    """Whether any part of `licence` binds derivatives to its own terms."""
    return any(_SAME_TERMS.match(key) for key in licence_ids(licence))


def _same_terms(base_license: str, release_license: str) -> bool:
    """Whether a derivative under `release_license` keeps the base's terms: the same expression
    by meaning ("MIT AND CC-BY-SA-4.0" is "cc-by-sa-4.0 AND MIT"), or one alternative of an OR
    the base offers (its licensee may choose any)."""
    try:
        base = parse_expression(base_license.lower())
        release = parse_expression(release_license.lower())
    except ExpressionError:
        return base_license.strip().lower() == release_license.strip().lower()
    if base is None or release is None:
        return False
    choices = base.args if isinstance(base, OR) else ()
    return any(_licensing.is_equivalent(choice, release) for choice in (base, *choices))
