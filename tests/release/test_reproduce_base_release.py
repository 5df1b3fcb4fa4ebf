"""`reproduce` of a fine-tune (B) of one of our releases (A, the tiny build's), with A given as
--base in each form a reproducer may hold it: A's release folder, its bundle, or a plain copy
of its model folder. The files decide (`base-model/files.json`): each comes out equal, the
documents naming A as B's do; a base whose model files differ is refused before any work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.openness.base_release import KEPT_FOR, kept_record
from gemeingut.release.reproduce_base import base_as_recorded, kept_for
from gemeingut.release.verify_base_release import record_base_release
from tests.release.test_base_release_rating import released  # noqa: F401 (a fixture)
from tests.test_cli import invoke


def _reproduced(
    bundle: Path, base: Path, workspace: Path, exit_code: int = 0
) -> tuple[dict[str, dict], str]:
    result = invoke(
        "--lang", "en", "reproduce", bundle.parent, "--workspace", workspace, "--base", base,
        "--json",
    )  # fmt: skip
    assert result.exit_code == exit_code, result.output
    rows = json.loads(result.stdout)["artifacts"]
    return {row["role"]: row for row in rows}, " ".join(result.stderr.split())


@pytest.mark.parametrize("given", ["release", "bundle"])
def test_a_s_release_or_bundle_as_base_reproduces_b_equal(
    given: str,
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A's model folder in it is the base (before: A's whole folder was compared with the
    model's file list, and refused); A's bundle is verified again, as at B's release."""
    base = released["a"] if given == "release" else released["a"] / "bundle"
    rows, said = _reproduced(released["bundle"], base, tmp_path / "again")
    assert set(rows) == {"finetune", "release"}
    assert all(row["equal"] for row in rows.values()), rows
    assert "not its bundle" not in said, said  # A itself was at hand


def test_a_s_bundle_without_its_release_folder_differs_only_in_a_s_id(
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A's release id lies in its release folder's artifact.json, not in its bundle: the
    rebuilt record of A (and the card, the report) cannot name it, and reproduce says so first."""
    alone = shutil.copytree(released["a"] / "bundle", tmp_path / "anderswo" / "bundle")
    rows, said = _reproduced(released["bundle"], alone, tmp_path / "again", exit_code=1)
    assert rows["finetune"]["equal"], rows
    differing = ["README.md", "TECHNICAL_REPORT.md", "base-release/base-release.json"]
    assert rows["release"]["differing"] == differing, rows
    record = json.loads(
        (released["bundle"] / "base-release" / "base-release.json").read_text("utf-8")
    )
    assert rows["release"]["details"][differing[-1]] == [f'artifact "{record["artifact"]}" ≠ —']
    assert f"{alone} is the bundle of our release {record['name']} without its release" in said


def test_a_plain_copy_of_a_s_model_folder_reproduces_b_equal(
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The same files elsewhere: the rebuild names them as A (before: by the copy's folder,
    `basis`, in B's record, card and BOM) and keeps B's record of A's bundle, saying so (A's
    other files are not at hand to be checked again)."""
    plain = shutil.copytree(released["a"] / "bundle" / "model", tmp_path / "kopie" / "basis")
    workspace = tmp_path / "again"
    rows, said = _reproduced(released["bundle"], plain, workspace)
    assert all(row["equal"] for row in rows.values()), rows
    name = json.loads((released["a"] / "bundle" / "release.json").read_text("utf-8"))["name"]
    assert f"{plain} holds the model files of our release {name}, not its bundle" in said, said
    (rebuilt,) = (workspace / "workspace" / "model").glob("*/finetune.json")
    assert json.loads(rebuilt.read_text("utf-8"))["base_model"]["name"] == name


def test_a_plain_copy_is_laid_out_as_a_s_model_beside_b_s_record_of_a(
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild's base for a plain copy: A's model folder again, named by A's release.json
    and beside B's record of A, which the rebuild's release keeps only while its MANIFEST lists
    exactly these model files; A's own model folder (its bundle at hand) is given as it is."""
    bundle, model = released["bundle"], released["a"] / "bundle" / "model"
    assert base_as_recorded(bundle, model, tmp_path / "a") == model
    assert kept_for(model, tmp_path / "a") == {}
    monkeypatch.setenv(KEPT_FOR, str(model.parent))
    assert kept_record(model) is None  # a bundle: verified, not kept
    plain = shutil.copytree(model, tmp_path / "basis")
    given = base_as_recorded(bundle, plain, tmp_path / "b")
    assert given.name == "model" and (given.parent / "release.json").is_file()
    monkeypatch.setenv(KEPT_FOR, kept_for(given, tmp_path / "b")[KEPT_FOR])
    assert kept_record(given) == given.parent / "base-release"
    (given / "config.json").unlink()  # a link: the copy keeps its own
    (given / "config.json").write_text("{}", "utf-8")
    assert kept_record(given) is None


def test_a_release_whose_model_differs_is_refused_naming_the_file(
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Given as a release, only its model files are compared with B's list: the message names
    the model file that differs (before: every file of the release folder), before any work."""
    other = shutil.copytree(released["a"], tmp_path / "a")
    config = other / "bundle" / "model" / "config.json"
    config.write_text(config.read_text("utf-8").replace("}", ', "x": 1}', 1), "utf-8")
    result = invoke(
        "--lang", "en", "reproduce", released["bundle"].parent, "--workspace", tmp_path / "b",
        "--base", other,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "is not the base this model was fine-tuned from: config.json differs from" in said
    assert not (tmp_path / "b" / "workspace").exists()


def test_a_release_on_a_folder_laid_out_so_outside_a_rebuild_does_not_keep_its_record(
    released: dict[str, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A's model files beside a `base-release/` (laid out by hand, or left by an earlier
    rebuild): a `release` of a fine-tune on them makes no record of A (A's bundle is not at
    hand to be checked) and copies none (before: B's record, saying A was intact when nobody
    checked it now); only the rebuild that laid the folder out keeps it."""
    bundle = released["bundle"]
    plain = shutil.copytree(released["a"] / "bundle" / "model", tmp_path / "basis")
    given = base_as_recorded(bundle, plain, tmp_path / "earlier-rebuild")
    monkeypatch.delenv(KEPT_FOR, raising=False)
    record_base_release(given, tmp_path / "plain-release")
    assert not (tmp_path / "plain-release" / "base-release").exists()
    monkeypatch.setenv(KEPT_FOR, str(tmp_path / "another-rebuild" / "base-release" / "bundle"))
    record_base_release(given, tmp_path / "other-rebuild")
    assert not (tmp_path / "other-rebuild" / "base-release").exists()
    monkeypatch.setenv(KEPT_FOR, kept_for(given, tmp_path / "earlier-rebuild")[KEPT_FOR])
    record_base_release(given, tmp_path / "this-rebuild")
    kept = tmp_path / "this-rebuild" / "base-release" / "base-release.json"
    assert kept.read_bytes() == (bundle / "base-release" / "base-release.json").read_bytes()
