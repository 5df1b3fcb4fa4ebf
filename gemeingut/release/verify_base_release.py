"""When a fine-tune's base is the model of one of our release bundles (A), its release (B)
checks A's bundle as `gemeingut verify` does (`verify_bundle`: every hash against A's
MANIFEST, A's rating computed again, its signature) and keeps in `base-release/` what the
rating then reads from A (`openness/base_release.py`). A's signature is checked against the
key its `bundle.sig` names where this machine holds that key (`gemeingut keys list`), else only
against the files its MANIFEST lists, as `verify` without --key does; the record says which.
A bundle that is not intact is recorded with its problems, and nothing of it counts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import Message, _, text
from gemeingut.model.finetune_base_folder import released_name
from gemeingut.release.manifest import MANIFEST, SIGNATURE, load_manifest
from gemeingut.release.openness.base_release import (
    BASE_RELEASE,
    RECORD,
    USED,
    base_release,
    read_record,
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
    """`base-release/` in the new bundle `target`, where its base is a released model."""
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
        said = [" ".join(text(problem, "en").split()) for problem in problems]
        write_json(folder / RECORD, {**named, "intact": False, "problems": said})
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
        verify_bundle(given, _named_key(given))
    except VerifyError as failed:
        return [_("the base's release {path} is not intact: {why}", path=str(given),
                  why=failed.message)]  # fmt: skip
    digest = "sha256:" + load_manifest(given)[1]
    if digest != record.get("manifest"):
        return [
            _(
                "{file} records the base's release with MANIFEST {recorded}; {path} has {found}",
                file=f"{BASE_RELEASE}/{RECORD}",
                recorded=str(record.get("manifest")),
                path=str(given),
                found=digest,
            )
        ]
    return []
