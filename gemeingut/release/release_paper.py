"""The research paper a release carries in `paper/`: copied the same way for a release of our
own pretraining and for a fine-tune's, so that both are rated (`openness/paper.py`), listed in
MANIFEST and verified alike."""

from __future__ import annotations

import shutil
from pathlib import Path

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
