"""A bundle's component counts by what its files hold, not by their names: an empty paper, an
empty `checkpoints/` or `audit/logs/` folder, a shard without a record count for nothing, as in
the rating of any model folder (`file_content.py`).

Both ratings of a bundle (`rating.py`, `finetune_rating.py`) pass each component they found
by its paths through `with_content`; `verify` rates again, so an emptied file is named there too.
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import Message, _, recorded
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.file_content import DATA, examine, folder_files, said_of
from gemeingut.release.openness.mof import Found
from gemeingut.release.openness.paper import as_paper

PAPER = "Research paper"


def with_content(part: Found, evidence: Evidence) -> Found:
    """`part` where each of its paths holds what the component needs; else missing, and its
    detail says why. The research paper by its own rule (`paper.py`), said either way."""
    if not part.present:
        return part
    if part.component.name == PAPER:
        return as_paper(part, evidence.root)
    for rel in part.paths:
        if part.component.name in DATA:
            empty = _no_records(evidence, rel)
        else:
            empty = _empty(evidence.root, rel)
        if empty is not None:
            return Found(part.component, (), part.licence, False, recorded(empty))
    return part


def _empty(root: Path, rel: str, data: bool = False) -> Message | str | None:
    """Why `rel` holds nothing that counts (a folder: no file of it does), or None; `data`:
    its files must hold records."""
    target = root / rel
    files = (
        [p.relative_to(root).as_posix() for p in folder_files(target)] if target.is_dir() else [rel]
    )
    if not files:
        return _("{path}: empty folder", path=rel)
    examined = []
    for path in files:  # the first that counts is enough
        found = examine(root, path, data)
        if found.counts:
            return None
        examined.append(found)
    return said_of(examined)


def _no_records(evidence: Evidence, rel: str) -> Message | str | None:
    """Data counts by its records: the documents of its shards, the examples of fine-tuning
    files, as the licence checks count them; files they do not count (fine-tuning data whose
    licence is not stated) by what each holds."""
    counted = [
        sum(licences.values())
        for data in (evidence.training_data, evidence.test_data)
        for file, licences in data.per_file.items()
        if file == rel or file.startswith(f"{rel}/")
    ]
    if not counted:
        return _empty(evidence.root, rel, data=True)
    return None if sum(counted) else _("{path}: no document or example in it", path=rel)
