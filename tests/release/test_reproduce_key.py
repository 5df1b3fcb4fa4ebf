"""`reproduce --key` checks the signature against the publisher's key before anything is
rebuilt, as `verify --key` does (the refusal of an unchecked signature suggests it)."""

from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.release.manifest import MANIFEST
from gemeingut.release.signing import sign_bundle


def _reproduce(bundle: Path, workspace: Path, key: Path):
    arguments = ["reproduce", str(bundle), "--workspace", str(workspace), "--key", str(key)]
    return CliRunner().invoke(app, arguments)


def test_reproduce_checks_the_signature_with_the_key_before_rebuilding(
    bundle: Path, keys: Path, tmp_path: Path
) -> None:
    from gemeingut.hashing import sha256_file

    sign_bundle(bundle, keys / "publisher.key")
    (bundle / "NOTICE").write_text("changed", encoding="utf-8")
    lines = [line.split("  ", 1) for line in (bundle / MANIFEST).read_text().splitlines()]
    rehashed = [f"{sha256_file(bundle / p) if p == 'NOTICE' else h}  {p}\n" for h, p in lines]
    (bundle / MANIFEST).write_text("".join(rehashed), encoding="utf-8")
    result = _reproduce(bundle, tmp_path / "rebuild", keys / "publisher.pub")
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "mit publisher.pub (SHA256:" in said and "geändert: NOTICE" in said, said
    assert not (tmp_path / "rebuild").exists()  # refused before anything was built
    result = _reproduce(bundle, tmp_path / "rebuild", keys / "stranger.pub")
    assert result.exit_code == 1 and "(publisher) erstellt, nicht mit" in result.output


def test_reproduce_refuses_a_key_it_cannot_use(bundle: Path, tmp_path: Path) -> None:
    result = _reproduce(bundle, tmp_path / "rebuild", tmp_path / "missing.pub")
    assert result.exit_code == 2 and "missing.pub existiert nicht" in result.output
    assert "Traceback" not in result.output
