"""What `verify` says of a bundle whose weights' licence text (`model/LICENSE`) was changed
after the release, and then removed: the manifest is hashed anew each time, so that only the
check of the text itself can tell. Shared by the tests of a pretraining's, a fine-tune's and a
CC licence's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle


def cut_short(bundle: Path) -> str:
    """The bundle's licence text cut short: its first 12 lines."""
    text = (bundle / "model" / "LICENSE").read_text(encoding="utf-8")
    return "\n".join(text.splitlines()[:12]) + "\n"


def refusals(bundle: Path, text: str) -> tuple[str, str]:
    """`verify`'s refusal of the bundle with `text` as its licence file, then with none."""
    licence = bundle / "model" / "LICENSE"
    licence.write_text(text, encoding="utf-8")
    changed = _refusal(bundle)
    licence.unlink()
    return changed, _refusal(bundle)


def _refusal(bundle: Path) -> str:
    write_manifest(bundle)
    with pytest.raises(VerifyError) as refused:
        verify_bundle(bundle)
    return str(refused.value)
