"""When a fine-tune's base is the model of one of our release bundles (A), its release (B)
checks A's bundle as `gemeingut verify` does (`verify_bundle`: every hash against A's
MANIFEST, A's rating computed again, its signature) and keeps in `base-release/` what the
rating then reads from A (`openness/base_release.py`). A's signature is checked against the
key its `bundle.sig` names where this machine holds that key (`gemeingut keys list`), else only
against the files its MANIFEST lists, as `verify` without --key does; the record says which.
A bundle that is not intact is recorded with its problems (in English, and in German for
the card), and nothing of it counts; `release` says so (`release_said`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import LANGUAGES, Message, _, current_language, text
from gemeingut.model.finetune_base_folder import released_name
from gemeingut.release.manifest import MANIFEST, SIGNATURE, load_manifest
from gemeingut.release.openness.base_release import (
    BASE_RELEASE,
    RECORD,
    USED,
    base_release,
    kept_record,
    read_record,
    recorded_problems,
    signature_said,
)
from gemeingut.release.openness.write import write_json
from gemeingut.workspace import ARTIFACT_FILE


def released_base(base_dir: Path) -> Path | None:
    """A's bundle, where `base_dir` is the model folder of a release bundle of ours."""
    from gemeingut.model.export.released import released_model

    bundle = base_dir.resolve().parent
    if released_model(base_dir) is None:
        return None
    return bundle if (bundle / MANIFEST).is_file() else None


def record_base_release(base_dir: Path, target: Path) -> None:
    """`base-release/` in the new bundle `target`, where its base is a released model (a
    rebuild's base given as A's model files alone: the record its bundle kept, `kept_record`)."""
    kept = kept_record(base_dir)
    if kept is not None:
        shutil.copytree(kept, target / BASE_RELEASE)
        return
    bundle = released_base(base_dir)
    if bundle is None:
        return
    from gemeingut.release.verify import verify_bundle

    folder = target / BASE_RELEASE
    folder.mkdir()
    named = {"name": released_name(base_dir) or bundle.parent.name}
    try:
        verified = verify_bundle(bundle, _named_key(bundle))
    except VerifyError as failed:
        problems = getattr(getattr(failed, "failure", None), "problems", None) or [failed.message]
        said = {
            language: [" ".join(text(problem, language).split()) for problem in problems]
            for language in LANGUAGES
        }  # the record's words English, the card's German (`recorded_problems`)
        write_json(
            folder / RECORD,
            {**named, "intact": False, "problems": said["en"], "problems_de": said["de"]},
        )
        return
    listed, digest = load_manifest(bundle)
    shutil.copy2(bundle / MANIFEST, folder / MANIFEST)
    files = {}
    for rel in (rel for rel in USED if rel in listed):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle / rel, folder / rel)
        files[rel] = "sha256:" + listed[rel]
    record: dict[str, Any] = {
        **named,
        **({"artifact": artifact} if (artifact := _artifact_id(bundle)) else {}),
        "manifest": "sha256:" + digest,
        "intact": True,
        "signature": {"signed": verified.signature_present, "key": verified.signed_by},
        "files": files,
    }
    write_json(folder / RECORD, record)


def release_said(bundle: Path) -> list[Message]:
    """What `release` says of a base that is our release, beside the card: its bundle not
    intact (nothing of it counts), or its signature left unchecked for want of the key."""
    from gemeingut.release.signing import default_key_dir

    record = read_record(bundle)
    name = str((record or {}).get("name") or "")
    if record is not None and record.get("intact") is False:
        return [
            _(
                "the base's release {name} is not intact ({problems}): nothing of it counts, "
                "and what only it would publish is rated as withheld by the base; see {file}",
                name=name,
                problems=recorded_problems(record, current_language()),
                file=f"{BASE_RELEASE}/{RECORD}",
            )
        ]
    released = base_release(bundle)
    if released is None or not released.signed or released.key is not None:
        return []
    return [
        _(
            "the base's release {name} is signed with a key this machine does not hold, so "
            "its signature was not checked, only its files against its MANIFEST; to check "
            "it, put the publisher's public key into {folder} and release again",
            name=name,
            folder=str(default_key_dir()),
        )
    ]


def _named_key(bundle: Path) -> Path | None:
    """The public key A's signature names, where this machine holds it."""
    from gemeingut.release.signing import hinted_key, key_hint

    hint = key_hint(bundle) if (bundle / SIGNATURE).is_file() else None
    key = hinted_key(hint) if hint else None
    return key.public if key is not None else None


def _artifact_id(bundle: Path) -> str | None:
    """The release's artifact id, where A's release folder (the bundle's parent) has one."""
    try:
        meta = json.loads((bundle.parent / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = meta.get("id") if isinstance(meta, dict) else None
    return found if isinstance(found, str) else None


def base_release_notes(bundle: Path) -> list[Message]:
    """What `verify` says of a base that is our release: its openness is the one recorded
    from that release's bundle, which `--base` compares with the bundle itself."""
    released = base_release(bundle)
    if released is None:
        return []
    return [
        _(
            "the base's openness as recorded from its release {name} (MANIFEST sha256 "
            "{digest}); pass that release with --base to compare",
            name=released.name,
            digest=released.digest.removeprefix("sha256:"),
        )
    ]


def base_release_problems(bundle: Path, base: Path) -> list[Message]:
    """`base` (A's release or bundle) against what the bundle recorded of it: A intact now, its
    MANIFEST the recorded one, and so each file the rating read."""
    from gemeingut.release.layout import locate_bundle
    from gemeingut.release.verify import verify_bundle

    record = read_record(bundle)
    if record is None:  # a mistake in the call, not in the bundle
        raise InputError(
            _("{bundle} records no release of ours as its base", bundle=str(bundle)),
            _("verify it without --base"),
        )
    given = locate_bundle(base)
    try:
        verified = verify_bundle(given, _named_key(given))
    except VerifyError as failed:
        return [_("the base's release {path} is not intact: {why}", path=str(given),
                  why=failed.message)]  # fmt: skip
    digest = "sha256:" + load_manifest(given)[1]
    file = f"{BASE_RELEASE}/{RECORD}"
    if digest != record.get("manifest"):
        return [
            _(
                "{file} records the base's release with MANIFEST {recorded}; {path} has {found}",
                file=file,
                recorded=str(record.get("manifest")),
                path=str(given),
                found=digest,
            )
        ]
    return _claimed_problems(record, given, verified.signed_by, file)


def _claimed_problems(
    record: dict[str, Any], given: Path, signed_by: str | None, file: str
) -> list[Message]:
    """What the record says of A beside its MANIFEST, against A itself: the card repeats it,
    so a record edited to claim a signature or an artifact id A lacks must not pass."""
    from gemeingut.release.signing import hinted, key_hint

    problems = []
    claimed = record.get("signature") if isinstance(record.get("signature"), dict) else {}
    signed = (given / SIGNATURE).is_file()
    hint = key_hint(given) if signed else None
    signer = signed_by or (hinted(hint) if hint else None)  # checked here, else only named
    key = claimed.get("key")
    if (claimed.get("signed") is True and not signed) or (key is not None and key != signer):
        problems.append(
            _(
                "{file} records the base's signature as {recorded}; {path} has {found}",
                file=file,
                recorded=signature_said(claimed.get("signed") is True, str(key) if key else None),
                path=str(given),
                found=signature_said(signed, signed_by),
            )
        )
    artifact = _artifact_id(given)
    if artifact is not None and record.get("artifact") not in (None, artifact):
        problems.append(
            _(
                "{file} records the base's release as {recorded}; {path} is {found}",
                file=file,
                recorded=str(record.get("artifact")),
                path=str(given.parent),
                found=artifact,
            )
        )
    return problems
