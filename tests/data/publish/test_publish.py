import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from gemeingut.data.publish import PUBLICATION_FILES, PublicationInfo, notice, publish_dataset
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from tests.data.publish.conftest import FULL_INFO


def test_publish_writes_four_files_and_reports_their_hashes(dataset: Path, published) -> None:
    assert set(published["files"]) == set(PUBLICATION_FILES)
    for name, digest in published["files"].items():
        assert digest == "sha256:" + sha256_file(dataset / name)
    assert not list(dataset.glob(".*.tmp-*"))
    assert published["dataset_id"] == json.loads((dataset / "artifact.json").read_text())["id"]


def test_corpus_licence_is_the_same_in_all_three_documents(dataset: Path, published) -> None:
    licence = published["corpus_licence"]
    assert "CC-BY-SA-4.0" in licence
    assert f'corpus_licence: "{licence}"' in (dataset / "DATA_STATEMENT.md").read_text()
    assert f'"SPDX: {licence}"' in (dataset / "dcat.ttl").read_text()
    croissant = json.loads((dataset / "croissant.json").read_text())
    names = [
        entry["name"] if isinstance(entry, dict) else entry.split("/")[-1].removesuffix(".html")
        for entry in croissant["license"]
    ]
    assert names == licence.split(" AND ")
    assert f"(SPDX): {licence}" in (dataset / "NOTICE").read_text()


def test_publishing_twice_gives_the_same_bytes(dataset: Path, published, tmp_path: Path) -> None:
    again = publish_dataset(dataset, PublicationInfo.model_validate(FULL_INFO), tmp_path)
    assert again["files"] == published["files"]


def test_a_failed_write_leaves_no_partial_file(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(dataset_dir: Path, path: Path, title: str | None = None, language="de") -> int:
        path.write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(notice, "write_notice", broken)
    with pytest.raises(OSError, match="disk full"):
        publish_dataset(dataset, PublicationInfo.model_validate(FULL_INFO), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "DATA_STATEMENT.md", "croissant.json", "dcat.ttl",
    ]  # fmt: skip


def test_a_shard_changed_after_curation_is_refused(dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    shard = next(copy.glob("shards/train-*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"x")
    with pytest.raises(InputError, match=r"weicht von seinem Eintrag in manifest\.json ab"):
        publish_dataset(copy, PublicationInfo.model_validate(FULL_INFO))


def test_a_directory_that_is_no_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"hat kein stats\.json"):
        publish_dataset(tmp_path, PublicationInfo.model_validate(FULL_INFO))


@pytest.mark.parametrize(
    "missing", ["title_de", "description_de", "publisher_name", "download_url"]
)
def test_fields_that_dcat_ap_de_requires_are_required(missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        PublicationInfo.model_validate({k: v for k, v in FULL_INFO.items() if k != missing})


def test_unknown_fields_and_malformed_values_are_rejected() -> None:
    for wrong in ({"titel": "x"}, {"contact_email": "nobody"}, {"languages": ["de_DE"]},
                  {"themes": ["EDUCATION"]}):  # fmt: skip
        with pytest.raises(ValidationError):
            PublicationInfo.model_validate(FULL_INFO | wrong)


def test_a_dataset_without_documents_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stats.json").write_text('{"documents_in": 3, "kept": 0, "excluded": 3}')
    with pytest.raises(InputError, match="nichts zu veröffentlichen"):
        publish_dataset(tmp_path, PublicationInfo.model_validate(FULL_INFO))
