"""A fine-tune of a base under terms of their own carries their text (`model finetune` copies
the base's, the release ships it as `model/LICENSE`), a release under such terms without the
text is refused, and a licence's naming condition (Llama 3: "Llama 3" first, § 1.b.i) is held
to at release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.release.openness.licence_conditions import check_release_conditions
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke

WINZIG = (
    "WINZIG 2 COMMUNITY LICENSE AGREEMENT\n\n1. If you distribute the Winzig Materials, or any "
    "derivative works thereof, you shall provide a copy of this Agreement.\n"
)


def _said(result) -> str:
    return " ".join(result.output.split())


def _release(out: Path, tuned: Path, name: str = "winzig-amt", *extra: str):
    return invoke("release", "--finetuned", tuned, "--name", name, "--out", out, *extra)


@pytest.fixture(scope="module")
def winzig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of a `license: other` base whose card links its LICENSE.txt."""
    root = tmp_path_factory.mktemp("winzig")
    base = base_folder(root, "other\nlicense_name: winzig2\nlicense_link: terms/LIZENZ.txt")
    (base / "terms").mkdir()
    (base / "terms" / "LIZENZ.txt").write_text(WINZIG, encoding="utf-8")
    return fine_tune(root, base, "--merge")


def test_the_base_terms_text_goes_with_the_fine_tune_and_its_release(
    winzig: Path, tmp_path: Path
) -> None:
    assert (winzig / "LICENSE").read_text(encoding="utf-8") == WINZIG  # from license_link
    released = _release(tmp_path / "release", winzig)
    assert released.exit_code == 0, released.output
    assert "✓ Release-Paket rel-" in _said(released)  # the stage named in German
    bundle = tmp_path / "release" / "bundle"
    assert (bundle / "model" / "LICENSE").read_text(encoding="utf-8") == WINZIG
    verify_bundle(bundle)


def test_a_release_under_such_terms_without_their_text_is_refused(
    winzig: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old"  # a fine-tune made before the text was copied
    shutil.copytree(winzig, old)
    (old / "LICENSE").unlink()
    refused = _release(tmp_path / "release", old)
    assert refused.exit_code == 2, refused.output
    said = _said(refused)
    assert "winzig2 ist keine Standardlizenz" in said and "LICENSE" in said, said
    assert "cp " in said and "terms/LIZENZ.txt" in said and "Traceback" not in said
    assert not (tmp_path / "release").exists()


def test_license_file_with_a_fine_tune_says_what_it_is_for(winzig: Path, tmp_path: Path) -> None:
    text = tmp_path / "LIZENZ.txt"
    text.write_text(WINZIG, encoding="utf-8")
    refused = _release(tmp_path / "release", winzig, "winzig-amt", "--license-file", text)
    assert refused.exit_code == 2, refused.output
    said = _said(refused)
    assert "--license-file ist für das Release eines Modells" in said, said
    assert f"cp {text} {winzig / 'LICENSE'}" in said


def test_a_paper_with_a_fine_tune_is_carried_not_dropped(winzig: Path, tmp_path: Path) -> None:
    """`release --finetuned --paper` once built the release without the paper and said
    nothing; it carries it now, and a stub is rated as none, by the paper rule."""
    paper = tmp_path / "paper.md"
    paper.write_text("# Ein Paper\n", encoding="utf-8")
    released = _release(tmp_path / "release", winzig, "winzig-amt", "--paper", paper)
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "release" / "bundle"
    assert (bundle / "paper" / "paper.md").read_text(encoding="utf-8") == "# Ein Paper\n"
    rows = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))["mof"]["components"]
    row = next(r for r in rows if r["name"] == "Research paper")
    assert not row["present"] and row["detail"].startswith("paper/paper.md: only 2 words")
    verify_bundle(bundle)


@pytest.fixture(scope="module")
def llama3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("llama3")
    base = base_folder(root, "other\nlicense_name: llama3\nlicense_link: LICENSE")
    (base / "LICENSE").write_text("META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n", encoding="utf-8")
    return fine_tune(root, base, "--merge")


def test_a_llama_3_fine_tune_must_be_named_beginning_with_llama_3(
    llama3: Path, tmp_path: Path
) -> None:
    refused = _release(tmp_path / "refused", llama3, "winzig-amt")
    assert refused.exit_code == 2, refused.output
    said = _said(refused)
    assert "„winzig-amt“ beginnt nicht mit „Llama 3“" in said and "(§ 1.b.i)" in said, said
    assert "--name „Llama 3 winzig-amt“" in said
    assert not (tmp_path / "refused").exists()
    released = _release(tmp_path / "release", llama3, "Llama 3 winzig-amt")
    assert released.exit_code == 0, released.output
    said = _said(released)
    assert "„Built with Meta Llama 3“" in said  # what the bundle cannot show is said
    assert "NOTICE des Bundles fehlt" not in said  # NOTICE carries the Notice line itself


@pytest.mark.parametrize(
    ("licence", "name", "kept"),
    [
        ("LicenseRef-llama3", "Llama 3 Amt", True),
        ("LicenseRef-llama3", "llama-3-amt", True),
        ("LicenseRef-llama3", "Llama_3_Amt", True),
        ("LicenseRef-llama3", "Amt Llama 3", False),
        ("LicenseRef-llama3", "Llama 30b", False),
        ("LicenseRef-llama3", "Llama-Amt", False),
        ("LicenseRef-llama3.1", "Llama-Amt", True),
        ("LicenseRef-llama3.1", "Amt", False),
        ("llama2", "Amt", True),  # Llama 2 dictates no name
        ("gemma", "Amt", True),
    ],
)
def test_the_naming_condition_by_licence(
    licence: str, name: str, kept: bool, tmp_path: Path
) -> None:
    (tmp_path / "LICENSE").write_text("terms\n", encoding="utf-8")
    if kept:
        check_release_conditions(licence, name, tmp_path, None)
    else:
        with pytest.raises(InputError, match=r"§ 1\.b\.i"):
            check_release_conditions(licence, name, tmp_path, None)


@pytest.mark.parametrize("licence", ["LicenseRef-acme", "llama2", "gemma", "MIT AND gemma"])
def test_terms_of_their_own_need_their_text(licence: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="LICENSE"):
        check_release_conditions(licence, "Amt", tmp_path, None)
    check_release_conditions("MIT", "Amt", tmp_path, None)  # gemeingut writes its text
