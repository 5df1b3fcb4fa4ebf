"""The research paper a release carries in `paper/`: copied the same way for a release of our
own pretraining and for a fine-tune's, so that both are rated (`openness/paper.py`), listed in
MANIFEST and verified alike."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gemeingut.hashing import sha256_file, sha256_json
from gemeingut.release.openness.evidence import PAPER_DIR


def copy_paper(paper: Path | None, bundle: Path) -> None:
    """`paper` (a file or folder) into the bundle's `paper/`; nothing where none was given.
    Hidden files stay out and links are copied as the files they point to."""
    if paper is None:
        return
    target = bundle / PAPER_DIR
    if paper.is_dir():
        shutil.copytree(paper, target, ignore=shutil.ignore_patterns(".*"), symlinks=False)
    else:
        target.mkdir()
        shutil.copy2(paper, target / paper.name)


def released_paper(bundle: Path) -> Path | None:
    """The paper in the bundle's `paper/` as `copy_paper` was given it, to release it again
    (`reproduce`): a lone file as itself, else the folder; None where the bundle holds none."""
    paper = bundle / PAPER_DIR
    papers = sorted(paper.iterdir()) if paper.is_dir() else []
    if not papers:
        return None
    return papers[0] if len(papers) == 1 and papers[0].is_file() else paper


def paper_fingerprint(paper: Path) -> str:
    """What identifies the paper of a release (its stage's key): the files `copy_paper` puts in
    `paper/`, not the path given. `reproduce` gives a paper that was a folder of one file
    (hidden files left out) again as that file (`released_paper`): the same release."""
    files = {paper.name: paper} if paper.is_file() else {}
    for folder, subfolders, names in os.walk(paper, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in names:
            if not name.startswith("."):
                path = Path(folder, name)
                files[path.relative_to(paper).as_posix()] = path
    return "sha256:" + sha256_json({rel: sha256_file(path) for rel, path in sorted(files.items())})
