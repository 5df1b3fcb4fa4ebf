"""`model finetune --license` that drops the share-alike licences of the data our own base model
was pretrained on is refused naming the option the person typed: the refusal began with
"release.license:", a recipe key the command line never names."""

from pathlib import Path

from tests.model.test_finetune_own_base_licence import _own_model_on_share_alike_data
from tests.test_cli import invoke


def test_the_refusal_names_the_licence_option(tiny_build: dict, tmp_path: Path) -> None:
    base = _own_model_on_share_alike_data(tiny_build, tmp_path / "ws")
    data = Path(tiny_build["recipe"]).parent / "chat.jsonl"
    out = tmp_path / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", out, "--license", "CC-BY-NC-4.0",
        "--data-license", "CC0-1.0", "--steps", "1",
    )  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert "--license: CC-BY-NC-4.0 übernimmt die Share-alike-Lizenzen der Daten nicht" in said
    assert "release.license" not in said and "Traceback" not in result.output
    assert not out.exists()
