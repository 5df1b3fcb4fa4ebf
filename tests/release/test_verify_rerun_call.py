"""`verify --rerun` on a folder that is no bundle names what is wrong with the folder (no
MANIFEST), not a missing bias audit whose hint ("verify without --rerun") would not help."""

from pathlib import Path

from tests.test_cli import invoke


def test_rerun_on_a_folder_without_a_manifest_says_it_is_no_bundle(tmp_path: Path) -> None:
    result = invoke("verify", str(tmp_path), "--rerun", "2")
    assert result.exit_code == 2
    assert "hat kein MANIFEST" in result.output
    assert "Verzerrungsprüfung" not in result.output
