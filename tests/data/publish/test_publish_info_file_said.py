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
    assert f"Informationsdatei: {tmp_path / 'nope.toml'} existiert nicht" in said.stderr
    assert "Rezept" not in said.stderr
    assert not (tmp_path / "pub").exists()


def test_an_info_file_that_cannot_be_read_is_said_to_be_one(tmp_path: Path) -> None:
    """A folder or a file that is no UTF-8 was still called a recipe („Rezept … lässt sich
    nicht lesen“), and why in Python's English („[Errno 21] Is a directory“, „'utf-8' codec
    can't decode byte 0xfc in position 11“): the reader of every TOML file names it as what it
    was given as, and why as the reader of any file a person writes says it."""
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('titel = "Gr\xfc\xdfe"\n'.encode("latin-1"))
    said_of = {
        tmp_path: f"Informationsdatei: {tmp_path} ist ein Ordner, hier ist aber eine Datei nötig",
        latin: f"Informationsdatei: {latin}:1 lässt sich nicht lesen: kein UTF-8-Text (Byte 12)",
    }
    for info, expected in said_of.items():
        said = invoke(
            "data", "publish", _dataset(tmp_path / "ws"), "--info", info,
            "--out", tmp_path / "pub",
        )  # fmt: skip
        assert said.exit_code == 2, said.output
        assert expected in " ".join(said.stderr.split()), said.stderr
        assert "Rezept" not in said.stderr and "Traceback" not in said.output
    assert "speichern Sie sie als UTF-8" in said.stderr


def test_a_config_file_is_not_called_a_recipe(tmp_path: Path) -> None:
    """`data curate --config x.toml` mistyped was „Rezept x.toml nicht gefunden“: the fix for
    `--info` named only that file."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("Text.\n", "utf-8")
    said = invoke(
        "data", "curate", tmp_path / "src", "--out", tmp_path / "ds", "--license", "CC0-1.0",
        "--config", tmp_path / "nope.toml",
    )  # fmt: skip
    assert said.exit_code == 2, said.output
    assert f"Konfigurationsdatei: {tmp_path / 'nope.toml'} existiert nicht" in said.stderr
    assert "Rezept" not in said.stderr


def test_a_recipe_with_its_publication_misspelt_is_said_once_at_that_table(
    tmp_path: Path,
) -> None:
    """A whole recipe with `[data.publikation]` listed every section (train, audit, release …)
    as a key no info file knows, and `description` as a misspelt `description_en`."""
    recipe = Path(__file__).resolve().parents[3] / "examples" / "demo" / "recipe.toml"
    typo = tmp_path / "recipe.toml"
    typo.write_text(
        recipe.read_text("utf-8").replace("[data.publication]", "[data.publikation]"), "utf-8"
    )
    line = typo.read_text("utf-8").splitlines().index("[data.publikation]") + 1
    said = invoke(
        "data", "publish", _dataset(tmp_path / "ws"), "--info", typo, "--out", tmp_path / "pub"
    )
    assert said.exit_code == 2, said.output
    message = " ".join(said.stderr.split())
    assert (
        f"{typo}:{line}: data.publikation: ist keine bekannte Einstellung; "
        "meinten Sie data.publication?" in message
    ), message
    assert "release" not in message and "description_en" not in message, message


def test_a_misspelt_key_points_to_the_keys_of_an_info_file(tmp_path: Path) -> None:
    info = tmp_path / "info.toml"
    info.write_text('titel_de = "x"\n', encoding="utf-8")
    said = invoke(
        "data", "publish", _dataset(tmp_path / "ws"), "--info", info, "--out", tmp_path / "pub"
    )
    assert said.exit_code != 0
    assert "meinten Sie title_de?" in said.stderr
    assert "build --help" not in said.stderr and "[data.publication]" in said.stderr
