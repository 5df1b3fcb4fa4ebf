"""A fine-tune whose base is the model of one of our release bundles (A): its bundle (B) keeps
what A's bundle evidenced when B was released, so that B's rating, card and `verify` read it
from B's own files.

`base-release/` holds A's MANIFEST (the sha256 of every file of A's bundle), the files the
rating reads (`USED`: A's rating, its declared release, its fine-tune record where A is a
fine-tune) and `base-release.json`: A's name, its artifact id where its release folder gave
one, the digest of its MANIFEST, each used file with its sha256, how its signature was checked,
and whether A's bundle was intact (`verify_bundle`) when B was released. The copies are bound
to A by the MANIFEST, and the MANIFEST to the base B was fine-tuned from: its `model/` lines
are exactly `base-model/files.json` (the fine-tune's fingerprint hashes that list).

MOF's meaning: a component counts where it is published under an open licence, not where it is
copied; the Model Openness Tool describes one by where it lies (`component_path`,
`license_path` in its `mof_schema.json`), in the package or elsewhere. A
component that A's intact bundle publishes is therefore *available* to B's users: referenced by
its path and sha256 in A's MANIFEST (the evidence reads `base-release/MANIFEST: PATH`), not
included in B's bundle, which would double A's data, code and weights and become a second,
unsigned copy of them. A component A withholds stays withheld by the base. Where A was not
intact, or B's copies do not agree with each other, nothing of A counts: B is rated from
`base-model/` alone, as any foreign base.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, text
from gemeingut.json_records import read_object
from gemeingut.model.base_model import OWN_MODEL, file_listing
from gemeingut.release.layout import FINETUNE_RECORD, MODEL, OPENNESS, RELEASE_INFO
from gemeingut.release.manifest import MANIFEST, load_manifest

BASE_RELEASE = "base-release"
RECORD = "base-release.json"
USED = (OPENNESS, RELEASE_INFO, FINETUNE_RECORD)  # those A has; its MANIFEST besides
# Set by `reproduce` for the rebuild it starts, to the folder it laid out with A's model files
# beside B's record of A (`reproduce_base.py`): only there is that record kept, not made again.
KEPT_FOR = "GEMEINGUT_REBUILD_KEEPS_BASE_RELEASE"


@dataclass(frozen=True)
class BaseRelease:
    """A's bundle as B recorded it, its copies checked against each other."""

    name: str
    digest: str  # sha256 of A's MANIFEST
    artifact: str | None
    signed: bool
    key: str | None  # the key A's signature was checked against, where one was
    files: tuple[str, ...]  # A's files the rating reads, copied
    rating: dict[str, Any]  # A's openness.json
    root: dict[str, Any] | None  # A's own base, where A is a fine-tune

    @property
    def evidence(self) -> str:
        return f"{BASE_RELEASE}/{MANIFEST}"

    @property
    def signature_said(self) -> Message:
        return signature_said(self.signed, self.key)


def signature_said(signed: bool, key: str | None) -> Message:
    """How A's signature was checked: against the key `key`, or not at all."""
    if key is not None:
        return _("signature valid, key {key}", key=key)
    if signed:
        return _("signed, the signer's key not at hand, so not checked")
    return _("not signed")


def read_record(bundle: Path, rel: str = RECORD) -> dict[str, Any] | None:
    """`base-release/base-release.json` (or the copy `rel` of A's file), or None where B's
    base is no release of ours; one that is no JSON object is said, not a traceback."""
    file = f"{BASE_RELEASE}/{rel}"
    return read_object(bundle / file, _("restore {file} from the release", file=file))


def base_release(bundle: Path) -> BaseRelease | None:
    """A's evidence where A was intact at B's release and B's copies agree; else None (B is
    rated as from any foreign base)."""
    record = read_record(bundle)
    if not record or record.get("intact") is not True or release_problems(bundle):
        return None
    rating = read_record(bundle, OPENNESS) or {}
    root = (read_record(bundle, FINETUNE_RECORD) or {}).get("base_model")
    signature = record.get("signature") if isinstance(record.get("signature"), dict) else {}
    key = signature.get("key")
    return BaseRelease(
        str(record.get("name") or ""),
        str(record["manifest"]),
        record.get("artifact") if isinstance(record.get("artifact"), str) else None,
        signature.get("signed") is True,
        key if isinstance(key, str) else None,
        tuple(record["files"]),
        rating,
        root if isinstance(root, dict) else None,
    )


def release_problems(bundle: Path) -> list[Message]:
    """What in `base-release/` does not agree: a used file whose sha256 is not the one the
    record and A's MANIFEST give, a MANIFEST that is not the recorded one, or whose `model/`
    is not the base the fine-tune recorded (`base-model/files.json`)."""
    from gemeingut.release.openness.finetune_rating import BASE_DIR, BASE_FILES, base_listing

    record = read_record(bundle)
    if not record or record.get("intact") is not True:
        return []
    folder = bundle / BASE_RELEASE
    shown = f"{BASE_RELEASE}/{RECORD}"
    if not (folder / MANIFEST).is_file():
        return [_("missing: {file}", file=f"{BASE_RELEASE}/{MANIFEST}")]
    listed, digest = load_manifest(folder)
    if "sha256:" + digest != record.get("manifest"):
        return [
            _(
                "{file} is not the MANIFEST of the base's release that {record} names ({digest})",
                file=f"{BASE_RELEASE}/{MANIFEST}",
                record=shown,
                digest=str(record.get("manifest")),
            )
        ]
    problems = []
    files = record.get("files") if isinstance(record.get("files"), dict) else {}
    if OPENNESS not in files:
        problems.append(_("{record} names no {file} of the base", record=shown, file=OPENNESS))
    for rel, recorded in files.items():
        if rel not in USED:  # never a path the record chose (`..`, absolute)
            problems.append(_("{record} names {file}, which the rating does not read",
                              record=shown, file=str(rel)))  # fmt: skip
            continue
        path = folder / rel
        found = "sha256:" + sha256_file(path) if path.is_file() else None
        if found != recorded or "sha256:" + listed.get(rel, "") != recorded:
            problems.append(
                _(
                    "{file} is not the base release's {name} that its MANIFEST lists",
                    file=f"{BASE_RELEASE}/{rel}",
                    name=rel,
                )
            )
    declared = (read_record(bundle, RELEASE_INFO) or {}).get("name") if not problems else None
    if isinstance(declared, str) and declared != record.get("name"):
        problems.append(
            _(
                "{record} names the base's release {name}, but its {file} declares {declared}",
                record=shown,
                name=str(record.get("name")),
                file=f"{BASE_RELEASE}/{RELEASE_INFO}",
                declared=declared,
            )
        )
    own = {k: "sha256:" + str(v).removeprefix("sha256:") for k, v in base_listing(bundle).items()}
    if model_lines(listed) != own:
        problems.append(
            _(
                "{file}: the base release's model files are not those of {listing}, the base "
                "the fine-tune started from",
                file=f"{BASE_RELEASE}/{MANIFEST}",
                listing=f"{BASE_DIR}/{BASE_FILES}",
            )
        )
    return problems


def model_lines(listed: dict[str, str]) -> dict[str, str]:
    """The `model/` lines of A's MANIFEST (`read_manifest`'s digests), as a model folder's
    file listing gives them (`file_listing`, `base-model/files.json`)."""
    prefix = f"{MODEL}/"
    return {
        k.removeprefix(prefix): "sha256:" + v for k, v in listed.items() if k.startswith(prefix)
    }


def kept_record(model_dir: Path) -> Path | None:
    """B's `base-release/` beside A's model files, where a rebuild of B laid them out so
    (`reproduce_base.py`): A's bundle was not at hand, only its model files (checked against
    B's fingerprint), so B's record of A is kept again, not made again. Only in that rebuild
    (`KEPT_FOR` names the folder: a record laid beside a model folder by hand, or left there
    by an earlier rebuild, is no check of A now and is never copied by a `release`), where the
    folder is no bundle (a bundle that is itself a fine-tune of a release holds its own record
    and its MANIFEST: it is verified) and the record's MANIFEST lists exactly these model
    files, or records A as not intact (then nothing of A counts)."""
    folder = model_dir.resolve().parent
    kept = folder / BASE_RELEASE
    laid = os.environ.get(KEPT_FOR)
    if not laid or Path(laid).resolve() != folder or model_dir.resolve().name != MODEL:
        return None
    if (folder / MANIFEST).is_file():
        return None
    record = read_object(kept / RECORD, _("restore {file} from the release", file=RECORD))
    if record is None or record.get("intact") is False:
        return kept if record is not None else None
    if not (kept / MANIFEST).is_file():
        return None
    return kept if model_lines(load_manifest(kept)[0]) == file_listing(model_dir) else None


def release_paragraph(released: BaseRelease, base: str, language: str) -> str:
    """The card's sentences on a base that is our release, from B's records of it alone."""
    from gemeingut.release.openness.mof import explained
    from gemeingut.release.openness.result import gate_said

    signature = released.signature_said
    paragraph = _(
        "`{base}` is our release {name} ({artifact}MANIFEST sha256 {digest}), not part of this "
        "bundle. When this model was released, its bundle was checked as `gemeingut verify` "
        "checks one and found intact ({signature}); `{folder}/` holds its MANIFEST and the "
        "files this rating reads from it ({files}). Its own rating: Model Openness Framework: "
        "{mof}; OSI's Open Source AI Definition: {osaid}. What it publishes counts as "
        "available from its bundle, referenced by the sha256 its MANIFEST lists, not as "
        "included in this one.",
        base=base,
        name=released.name,
        artifact=f"{released.artifact}, " if released.artifact else "",
        digest=released.digest.removeprefix("sha256:"),
        signature=signature,
        folder=BASE_RELEASE,
        files=", ".join(f"`{rel}`" for rel in released.files),
        mof=explained(released.rating["mof"]["label"], language),
        osaid=gate_said(released.rating["osaid"], language),
    )
    said = text(paragraph, language)
    root = released.root
    if root is not None:
        shown = str(root.get("path") or root.get("name") or "")
        revision = f" @ {root['revision']}" if root.get("revision") else ""
        named = f"`{shown}{revision}`"
        own = root.get("license_source") == OWN_MODEL  # its pretraining, in its own bundle
        itself = (
            _(
                "It was itself fine-tuned from {root}, its own pretrained model, which its "
                "bundle holds.",
                root=named,
            )
            if own
            else _("It was itself fine-tuned from {root}.", root=named)
        )
        said += " " + text(itself, language)
    return said


def not_intact(bundle: Path, language: str) -> Message | None:
    """Why nothing of the base's release counts, where B recorded it as not intact."""
    record = read_record(bundle)
    if not record or record.get("intact") is not False:
        return None
    return _(
        "Its release bundle {name} was not intact when this model was released ({problems}): "
        "nothing of it counts.",
        name=str(record.get("name") or ""),
        problems=recorded_problems(record, language),
    )


def recorded_problems(record: dict[str, Any], language: str) -> str:
    """The problems B recorded of A's bundle, as `verify` said them: `problems` in English
    (a record's words), `problems_de` in German for the card (else the English)."""
    found = record.get(f"problems_{language}") if language != "en" else None
    problems = found if isinstance(found, list) else record.get("problems")
    return "; ".join(str(problem) for problem in problems) if isinstance(problems, list) else ""
