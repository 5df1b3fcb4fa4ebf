"""A chain released with the releaser's own licence text (`--license-file`) is rebuilt under
that text from the bundle alone, copied without the release artifact around it: the bundle
ships the text verbatim, and one that is not gemeingut's own text for the licence was given."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.cli.release import compared_lines
from gemeingut.release.reproduce import Comparison
from gemeingut.release.reproduce_chain import given_licence_text
from gemeingut.release.reproduce_finetune import release_settings
from tests.finetune_chain import release
from tests.release.licence_files import licence_file
from tests.test_cli import invoke

OWN_TEXT = "Copyright 2026 Testamt\n\n" + licence_file("Apache-2.0")


@pytest.fixture(scope="module")
def given_text_release(released_chain: dict, tiny_build: dict, tmp_path_factory) -> Path:
    """The chain of `conftest.py` released under Apache-2.0 with a text of the releaser's own."""
    root = tmp_path_factory.mktemp("chain-licence-text")
    given = root / "LICENSE.apache"
    given.write_text(OWN_TEXT, encoding="utf-8")
    evaluation = released_chain["root"] / "eval2"
    result = release(
        tiny_build, released_chain["ft2"], evaluation, root / "release", "--license-file", given
    )
    assert result.exit_code == 0, result.output
    return root / "release" / "bundle"


def _alone(bundle: Path, folder: Path) -> Path:
    """The bundle copied by itself, as a downloader gets it: no artifact.json beside it."""
    copy = shutil.copytree(bundle, folder / "bundle")
    assert not (copy.parent / "artifact.json").exists()
    return copy


def test_a_chain_bundle_alone_is_rebuilt_under_its_given_licence_text(
    given_text_release: Path, tmp_path: Path
) -> None:
    bundle = _alone(given_text_release, tmp_path)
    assert (bundle / "model" / "LICENSE").read_text(encoding="utf-8") == OWN_TEXT
    result = invoke("reproduce", bundle, "--workspace", tmp_path / "again", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert [role for role, row in rows.items() if not row["equal"]] == []
    # a bundle alone does not hold its release's id (its folder's name stands in): every file
    # of the rebuilt bundle is the same, the given licence text too
    assert rows["release"]["recorded_id"] == "bundle" and not rows["release"]["id_recorded"]
    rebuilt = json.loads((tmp_path / "again" / "job.json").read_text(encoding="utf-8"))
    assert rebuilt["release"]["license_file"] == str(bundle.resolve() / "model" / "LICENSE")


def test_gemeingut_s_own_licence_text_is_not_taken_as_given(
    released_chain: dict, given_text_release: Path, tmp_path: Path
) -> None:
    """The chain released without a text ships gemeingut's: its bundle alone is rebuilt
    without one (so that its release id is the one it had); with its release artifact the
    record beside it decides, either way."""
    plain = released_chain["bundle"]
    lineage = json.loads((plain / "training-metadata" / "lineage.json").read_text("utf-8"))
    alone = _alone(plain, tmp_path / "plain")
    assert given_licence_text(alone, release_settings(alone), lineage) is None
    assert given_licence_text(plain, release_settings(plain), lineage) is None
    given = _alone(given_text_release, tmp_path / "given")
    assert given_licence_text(given, release_settings(given), lineage) == given / "model/LICENSE"
    beside = given_licence_text(given_text_release, release_settings(given), lineage)
    assert beside == given_text_release / "model" / "LICENSE"


def test_a_bundle_alone_whose_files_differ_names_them_not_an_id() -> None:
    """Its folder's name stands in for the release id it does not hold: the files decide, and
    the line names those that differ, not the rebuilt id as if the ids had."""
    alone = Comparison("release", "release", "bundle", "release-1", ["README.md"], {}, False)
    assert not alone.equal
    assert compared_lines([alone]) == [
        ("[red]✗[/]", "Release-Paket bundle  unterscheidet sich: README.md")
    ]
    assert Comparison("release", "release", "bundle", "release-1", [], {}, False).equal
