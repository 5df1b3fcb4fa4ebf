"""`data publish --info FILE` names FILE as the info file it is: a model builder read „Rezept
nope.toml nicht gefunden" for a mistyped info file, and for a misspelt key a hint to
`gemeingut build --help`, which names no key an info file holds."""

from pathlib import Path

from gemeingut.workspace import at
from tests.test_cli import invoke


def _dataset(root: Path) -> Path:
    def build(out: Path) -> dict:
        (out / "file.txt").write_text("x")
        return {}

    artifact, _reused = at(root)("dataset", {}, {}, build)
    return artifact.path


def test_a_missing_info_file_is_said_to_be_one(tmp_path: Path) -> None:
    said = invoke(
        "data", "publish", _dataset(tmp_path / "ws"), "--info", tmp_path / "nope.toml",
        "--out", tmp_path / "pub",
    )  # fmt: skip
    assert said.exit_code != 0
    assert "Informationsdatei" in said.stderr and "nope.toml nicht gefunden" in said.stderr
    assert "Rezept" not in said.stderr
    assert not (tmp_path / "pub").exists()


def test_an_info_file_that_cannot_be_read_is_said_to_be_one(tmp_path: Path) -> None:
    """A folder or a file that is no UTF-8 was still called a recipe („Rezept … lässt sich
    nicht lesen“): the reader of every TOML file names it as what it was given as."""
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('titel = "Gr\xfc\xdfe"\n'.encode("latin-1"))
    for info in (tmp_path, latin):
        said = invoke(
            "data", "publish", _dataset(tmp_path / "ws"), "--info", info,
            "--out", tmp_path / "pub",
        )  # fmt: skip
        assert said.exit_code == 2, said.output
        assert f"Informationsdatei {info} lässt sich nicht lesen" in said.stderr, said.stderr
        assert "Rezept" not in said.stderr and "Traceback" not in said.output


def test_a_misspelt_key_points_to_the_keys_of_an_info_file(tmp_path: Path) -> None:
    info = tmp_path / "info.toml"
    info.write_text('titel_de = "x"\n', encoding="utf-8")
    said = invoke(
        "data", "publish", _dataset(tmp_path / "ws"), "--info", info, "--out", tmp_path / "pub"
    )
    assert said.exit_code != 0
    assert "meinten Sie title_de?" in said.stderr
    assert "build --help" not in said.stderr and "[data.publication]" in said.stderr
