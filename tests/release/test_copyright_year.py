"""The copyright line of an MIT, BSD or ISC text in `model/LICENSE` names the year with the
authors: the year of the recipe's publication date (`[data.publication] issued`, the data's
`datePublished`), never the clock's, so a rebuild writes the same bytes under the same id."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gemeingut.data.publish import PublicationInfo
from gemeingut.recipe import ReleaseSection
from gemeingut.release.openness.weights_licence_text import WEIGHTS_LICENCE_FILE, licence_files
from gemeingut.release.verify import verify_bundle
from gemeingut.stages import publish_stage, release_stage
from gemeingut.workspace import Artifact, at, load_artifact

AUTHORS = ["Ada Lovelace", "Testamt"]


@pytest.mark.parametrize(
    ("licence", "line"),
    [
        ("MIT", "Copyright (c) 2023 Ada Lovelace, Testamt"),
        ("BSD-3-Clause", "Copyright (c) 2023 Ada Lovelace, Testamt"),
        ("ISC", "Copyright (c) 2023 Ada Lovelace, Testamt"),
    ],
)
def test_the_copyright_line_names_the_year_given(licence: str, line: str) -> None:
    written = licence_files(licence, AUTHORS, None, False, 2023)[WEIGHTS_LICENCE_FILE]
    assert f"\n{line}\n" in f"\n{written}", written
    assert "<" not in written  # no placeholder left


def test_without_a_year_the_line_names_the_holders_alone() -> None:
    written = licence_files("MIT", AUTHORS, None, False)[WEIGHTS_LICENCE_FILE]
    assert "\nCopyright (c) Ada Lovelace, Testamt\n" in written


def _publication(tiny_build, out: Path, issued: str | None) -> Artifact:
    info = {
        "title_de": "Winziges Korpus",
        "description_de": "Testdaten.",
        "publisher_name": "Testamt",
        "download_url": "https://example.org/tiny/",
        "issued": issued,
    }
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    artifact, _ = publish_stage(at(out), dataset, PublicationInfo.model_validate(info))
    return artifact


def _release(tiny_build, out: Path, publication: Artifact) -> Artifact:
    kinds = {"dataset": "dataset", "tokenizer": "tokenizer", "model": "model"}
    kinds |= {"evaluation": "evaluation", "finetune": "model"}  # the fine-tuned model released
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"]), kind) for k, kind in kinds.items()}
    section = ReleaseSection(model_name="winzig", license="MIT", authors=AUTHORS)
    artifact, _ = release_stage(at(out), section, None, {**artifacts, "publication": publication})
    return artifact


def test_a_release_takes_the_year_of_its_publication_date_and_rebuilds_equal(
    tiny_build, tmp_path: Path
) -> None:
    publication = _publication(tiny_build, tmp_path / "pub", "2023-11-30")
    first = _release(tiny_build, tmp_path / "first", publication)
    bundle = first.path / "bundle"
    written = (bundle / WEIGHTS_LICENCE_FILE).read_text(encoding="utf-8")
    assert written.startswith("MIT License\n\nCopyright (c) 2023 Ada Lovelace, Testamt\n")
    croissant = json.loads((bundle / "training-data" / "croissant.json").read_text("utf-8"))
    assert croissant["datePublished"] == "2023-11-30"  # the same date, the same source
    rated = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    said = next(c for c in rated["checks"] if c["id"] == "licence.text")
    assert said["passed"] and "Copyright (c) 2023 Ada Lovelace, Testamt" in said["detail"]
    verify_bundle(bundle)
    again = _release(tiny_build, tmp_path / "again", publication)
    assert again.id == first.id
    assert (again.path / "bundle" / WEIGHTS_LICENCE_FILE).read_bytes() == written.encode()


def test_a_publication_without_a_date_gives_no_year_and_none_from_the_clock(
    tiny_build, tmp_path: Path
) -> None:
    publication = _publication(tiny_build, tmp_path / "pub", None)
    bundle = _release(tiny_build, tmp_path / "rel", publication).path / "bundle"
    written = (bundle / WEIGHTS_LICENCE_FILE).read_text(encoding="utf-8")
    assert "\nCopyright (c) Ada Lovelace, Testamt\n" in written
    assert str(dt.date.today().year) not in written.split("\n\n", 2)[1]
