"""`release --finetuned … --paper` carries the paper about the fine-tuned model in `paper/`, as a
release of our own pretraining does: rated by the paper rule as the fine-tune's own (it counts
where the base publishes one too), listed in MANIFEST, and `verify` refuses it changed; the
fine-tune's NOTICE says in plain words that the base's notices apply to it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke

ARXIV = "https://arxiv.org/abs/2401.01234"


def write_paper(path: Path) -> Path:
    """A Markdown paper the rule counts: three headings, 360 words, most of them different."""
    sections = [
        f"## Abschnitt {n}\n\n"
        + " ".join(f"Satz{n}x{i} beschreibt Befund{n}y{i} genau." for i in range(30))
        for n in range(3)
    ]
    path.write_text("# Feinabstimmung winzig\n\n" + "\n\n".join(sections) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of a base whose card links its paper on arXiv."""
    root = tmp_path_factory.mktemp("ftpaper")
    base = base_folder(root)
    card = base / "README.md"
    card.write_text(card.read_text("utf-8") + f"\nPaper: {ARXIV}\n", encoding="utf-8")
    return fine_tune(root, base, "--merge", "--license", "Apache-2.0")


def _release(tuned: Path, out: Path, *extra: str) -> Path:
    made = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", out,
        "--license", "Apache-2.0", *extra,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    return out / "bundle"


def _paper_row(bundle: Path) -> dict:
    rated = json.loads((bundle / "openness.json").read_text("utf-8"))
    return {row["name"]: row for row in rated["mof"]["components"]}["Research paper"]


@pytest.fixture(scope="module")
def with_paper(tuned: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("released")
    return _release(tuned, root / "rel", "--paper", write_paper(root / "paper.md"))


def test_a_fine_tunes_release_carries_its_paper_and_verifies(with_paper: Path) -> None:
    assert (with_paper / "paper" / "paper.md").is_file()
    verify_bundle(with_paper)
    row = _paper_row(with_paper)
    assert row["present"], row["detail"]
    assert row["evidence"][0] == "paper" and any(ARXIV in e for e in row["evidence"])
    assert "paper/paper.md" in row["detail"]  # the rule, and what the document holds


def test_a_changed_paper_is_refused_by_verify(with_paper: Path, tmp_path: Path) -> None:
    bundle = Path(shutil.copytree(with_paper, tmp_path / "bundle"))
    paper = bundle / "paper" / "paper.md"
    paper.write_text("# Kurz\n\nNichts.\n", encoding="utf-8")
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)  # MANIFEST
    assert "paper/paper.md" in str(failed.value)
    write_manifest(bundle)  # a MANIFEST written again: the rating is computed again
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "Research paper" in str(failed.value)


def test_a_fine_tune_released_with_its_paper_is_reproduced(
    with_paper: Path, tuned: Path, tmp_path: Path
) -> None:
    """`reproduce` releases again with the paper the bundle holds: the same release."""
    again = invoke(
        "reproduce", with_paper.parent, "--workspace", tmp_path / "again",
        "--base", tuned.parent / "base", "--json",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    rows = {row["role"]: row for row in json.loads(again.stdout)["artifacts"]}
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())


def test_a_paper_makes_another_release(tuned: Path, tmp_path: Path) -> None:
    """The paper is part of what the release is: the bundle made without it is not taken for
    the one asked with it (it would be rated without a paper the releaser gave)."""
    bare = _release(tuned, tmp_path / "rel")
    assert not (bare / "paper").exists()
    assert all(not e.startswith("paper") for e in _paper_row(bare)["evidence"])
    again = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", tmp_path / "rel",
        "--license", "Apache-2.0", "--paper", write_paper(tmp_path / "p.md"),
    )  # fmt: skip
    assert again.exit_code != 0 and "enthält schon ein anderes Artefakt" in again.output
    assert not (bare / "paper").exists()


def test_the_notice_says_the_bases_notices_apply_to_this_model(with_paper: Path) -> None:
    notice = (with_paper / "NOTICE").read_text("utf-8")
    assert "die Hinweise (NOTICE) des Basismodells gelten auch für dieses Modell." in notice
    assert "gelten für es" not in notice


def test_a_paper_folder_of_one_file_is_reproduced_as_the_same_release(
    tuned: Path, tmp_path: Path
) -> None:
    """A paper given as a folder (hidden files in it stay out of `paper/`) holding one file
    is released again from the bundle as that file: the same paper, so the same release id."""
    folder = tmp_path / "papier"
    folder.mkdir()
    write_paper(folder / "paper.md")
    (folder / ".DS_Store").write_bytes(b"\0")
    bundle = _release(tuned, tmp_path / "rel", "--paper", folder)
    again = invoke(
        "reproduce", bundle.parent, "--workspace", tmp_path / "again",
        "--base", tuned.parent / "base", "--json",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    release = {row["role"]: row for row in json.loads(again.stdout)["artifacts"]}["release"]
    assert release["recorded_id"] == release["rebuilt_id"], release


def test_a_paper_folder_without_files_is_refused_before_the_release(
    tuned: Path, tmp_path: Path
) -> None:
    """A folder of hidden files only is no paper: refused in words, nothing built (its bundle
    would carry an empty `paper/` that no MANIFEST lists, and fail its own `verify`)."""
    folder = tmp_path / "papier"
    (folder / ".git").mkdir(parents=True)
    write_paper(folder / ".git" / "paper.md")
    (folder / ".DS_Store").write_bytes(b"\0")
    made = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", tmp_path / "rel",
        "--license", "Apache-2.0", "--paper", folder,
    )  # fmt: skip
    said = " ".join(made.output.split())
    assert made.exit_code == 2, said
    assert f"das Paper {folder} ist ein Ordner ohne Dateien" in said, said
    assert "Traceback" not in said and not (tmp_path / "rel" / "bundle").exists()


def test_a_paper_folder_with_a_link_to_nothing_is_refused_in_words(
    tuned: Path, tmp_path: Path
) -> None:
    """Copying it failed half-way with Python's list of (source, target, error)."""
    folder = tmp_path / "papier"
    folder.mkdir()
    write_paper(folder / "paper.md")
    (folder / "anhang.md").symlink_to(tmp_path / "fehlt.md")
    made = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", tmp_path / "rel",
        "--license", "Apache-2.0", "--paper", folder,
    )  # fmt: skip
    said = " ".join(made.output.split())
    assert made.exit_code == 2, said
    assert f"das Paper {folder}: anhang.md ist keine Datei" in said, said
    assert not (tmp_path / "rel" / "bundle").exists()
