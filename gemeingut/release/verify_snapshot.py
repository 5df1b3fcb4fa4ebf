"""What the gemeingut source a bundle carries (training-code/gemeingut, hashed in its MANIFEST)
says about the bundle's writer: its code version, computed from its bytes as `code_version`
computes this one's, and the check ids it knows. `verify_format` rests its "another version
wrote this" on these, not on the code named in lineage.json, which a tamperer rewrites in a
line. Read as text only: no code of the bundle is ever run."""

from __future__ import annotations

import re
from pathlib import Path

from gemeingut.release.layout import TRAINING_CODE
from gemeingut.workspace import source_version

PACKAGE = f"{TRAINING_CODE}/gemeingut"
_VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


def snapshot_code(bundle: Path) -> str | None:
    """The code version of the bundle's own gemeingut source; None where it has none whose
    version can be read."""
    package = bundle / PACKAGE
    try:
        found = _VERSION.search((package / "__init__.py").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return None if found is None else source_version(package, found.group(1))


def knows_check(bundle: Path, check_id: str) -> bool:
    """Whether the bundle's own source names the check `check_id` as a string literal (every
    check is made by a call that names its id, and listed in its table of names)."""
    return any(
        f'"{check_id}"' in source or f"'{check_id}'" in source for source in _sources(bundle)
    )


def source_says(bundle: Path, words: str) -> bool:
    """Whether the bundle's own source holds `words` (a message of this version, which the
    writer's source holds where it says it too)."""
    return any(words in source for source in _sources(bundle))


def _sources(bundle: Path) -> list[str]:
    sources = []
    for path in sorted((bundle / PACKAGE).rglob("*.py")):
        try:
            sources.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return sources
