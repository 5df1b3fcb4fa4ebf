"""A fine-tune of a base whose licence asks every copy to carry a Notice line (Llama 3
§ 1.b.iii) is released with that line in its NOTICE, so the release no longer reminds of it;
`verify` renders NOTICE again, so the line edited or deleted after release is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.licence_conditions import conditions_of
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke

LINE = conditions_of("LicenseRef-llama3").notice[1]  # type: ignore[union-attr]
DIFFERS = "NOTICE weicht von dem ab, das die Dateien ergeben"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """What `release` said of a fine-tune of a `license_name: llama3` base, and its bundle."""
    root = tmp_path_factory.mktemp("llama3")
    base = base_folder(root, "other\nlicense_name: llama3\nlicense_link: LICENSE")
    (base / "LICENSE").write_text("META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n", encoding="utf-8")
    tuned = fine_tune(root, base, "--merge")
    result = invoke(
        "release", "--finetuned", tuned, "--name", "Llama 3 winzig-amt", "--out", root / "release"
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), root / "release" / "bundle"


def test_the_notice_line_is_in_the_bundle_and_no_longer_reminded_of(
    released: tuple[str, Path],
) -> None:
    said, bundle = released
    notice = (bundle / "NOTICE").read_text(encoding="utf-8")
    assert f"\n{LINE}\n" in notice, notice  # verbatim, in the licence's words
    assert notice.index("feinabgestimmt") < notice.index(LINE) < notice.index("Feinabstimmungs")
    assert "LicenseRef-llama3" in said  # the release is under the base's terms
    assert LINE not in said and "NOTICE des Bundles fehlt" not in said, said
    assert "„Built with Meta Llama 3“" in said  # what the bundle cannot show is still said
    verify_bundle(bundle)


@pytest.mark.parametrize("edited", [LINE.replace("Meta Platforms", "Someone else"), ""])
def test_the_notice_line_edited_or_deleted_is_named(
    released: tuple[str, Path], edited: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(released[1], bundle)
    path = bundle / "NOTICE"
    path.write_text(path.read_text(encoding="utf-8").replace(LINE, edited), encoding="utf-8")
    write_manifest(bundle)  # the MANIFEST made to match: only the render can tell
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert DIFFERS in str(failed.value), str(failed.value)
