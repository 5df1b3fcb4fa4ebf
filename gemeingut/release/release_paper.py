"""The research paper a release carries in `paper/`: copied the same way for a release of our
own pretraining and for a fine-tune's, so that both are rated (`openness/paper.py`), listed in
MANIFEST and verified alike."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file, sha256_json
from gemeingut.i18n import _
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
    files = paper_files(paper)
    return "sha256:" + sha256_json({rel: sha256_file(path) for rel, path in sorted(files.items())})


def paper_files(paper: Path) -> dict[str, Path]:
    """The files `copy_paper` puts in `paper/`, by their path there: hidden files and folders
    left out, links followed."""
    files = {paper.name: paper} if paper.is_file() else {}
    for folder, subfolders, names in os.walk(paper, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in names:
            if not name.startswith("."):
                path = Path(folder, name)
                files[path.relative_to(paper).as_posix()] = path
    return files


def refuse_unusable_paper(paper: Path | None) -> None:
    """A folder given as the paper (`--paper`, `release.paper`) is refused before the release
    is built where it holds no file `copy_paper` copies (its bundle would carry an empty
    `paper/` that no MANIFEST lists, and fail its own `verify`), or a link to nothing (the
    copy would fail half-way, in Python's words)."""
    if paper is None or not paper.is_dir():
        return
    files = paper_files(paper)
    if not files:
        raise InputError(
            _(
                "the paper {path} is a folder without files (hidden files are left out): "
                "there is no paper to release",
                path=str(paper),
            ),
            _("give the paper's file, or the folder that holds it; or leave the paper out"),
        )
    broken = sorted(rel for rel, path in files.items() if not path.is_file())
    if broken:
        raise InputError(
            _(
                "the paper {path}: {file} is no file (a link to nothing?)",
                path=str(paper),
                file=broken[0],
            ),
            _("remove it from the paper's folder, or put the file it stands for there"),
        )
