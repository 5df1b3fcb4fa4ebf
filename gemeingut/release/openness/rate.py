"""`gemeingut openness rate PATH`: a gemeingut bundle is rated from its evidence (as `release`
and `verify` do), any other folder from what it holds (`foreign.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.release.layout import RELEASE_INFO, locate_bundle
from gemeingut.release.manifest import MANIFEST


def rate_path(path: Path, base: Path | None = None) -> dict[str, Any]:
    """`base`: the folder of the base model a fine-tune names (a bundle holds its own). A path
    that does not exist is said so, as `verify` says it, not as one that is no folder."""
    if not path.exists():
        raise InputError(
            _("{path} does not exist", path=str(path)),
            _("pass a release bundle or a model folder (config.json, weights, README.md)"),
        )
    if base is not None and not base.exists():
        raise InputError(
            _("--base {path} does not exist", path=str(base)),
            _("pass the base model's folder (config.json, weights, README.md)"),
        )
    bundle = rated_bundle(path)
    if bundle is not None:
        if base is not None:
            raise InputError(
                _("--base is for a model folder: the bundle {path} holds its base", path=str(path)),
                _("leave --base out"),
            )
        from gemeingut.release.openness.evidence import collect
        from gemeingut.release.openness.finetune_rating import is_finetune_bundle, rate_finetune
        from gemeingut.release.openness.rating import rate

        return (rate_finetune if is_finetune_bundle(bundle) else rate)(collect(bundle))
    from gemeingut.release.openness.foreign import rate_folder

    return rate_folder(path, base=base)


def rated_bundle(path: Path) -> Path | None:
    """The gemeingut bundle `path` is (or holds, as a release artifact); None for any other
    folder, which is rated from what it holds."""
    bundle = locate_bundle(path)
    return bundle if (bundle / MANIFEST).is_file() and (bundle / RELEASE_INFO).is_file() else None
