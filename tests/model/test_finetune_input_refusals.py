"""What `model finetune` refuses before training, said in the reader's language: data under a
licence that asks for attribution without whom to credit and where it comes from, a release
licence that is no licence id, and a broken JSONL line (with the file's line and column)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.model.finetune_data import iter_examples
from tests.model.tiny_models import make_model
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_model(tmp_path_factory.mktemp("base") / "base")
    card = "---\nlicense: apache-2.0\nmodel_name: Winzige Basis\n---\n# Winzige Basis\n"
    (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


def _finetune(base: Path, tmp_path: Path, *options: str):
    data = tmp_path / "fragen.jsonl"
    records = ({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(10))
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return invoke("model", "finetune", base, "--data", data, "--out", tmp_path / "ft",
                  "--method", "full", "--steps", "1", *options)  # fmt: skip


@pytest.mark.parametrize(
    ("given", "missing"),
    [((), "„--data-attribution“, „--data-url“ fehlen"),
     (("--data-url", "https://example.org/fragen"), "„--data-attribution“ fehlt")],
)  # fmt: skip
def test_cc_by_data_without_attribution_is_refused_before_training(
    base: Path, tmp_path: Path, given: tuple[str, ...], missing: str
) -> None:
    result = _finetune(base, tmp_path, "--data-license", "CC-BY-4.0", *given)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    licence = "die Lizenz der Feinabstimmungsdaten, CC-BY-4.0, verlangt eine Namensnennung"
    assert f"{licence}, aber {missing}" in said, said
    assert '--data-attribution "URHEBER, TITEL" --data-url URL' in said
    assert "Traceback" not in said and not (tmp_path / "ft").exists()


@pytest.mark.parametrize(
    ("licence", "said_of_it"),
    [("Amtslizenz", "„Amtslizenz“ ist weder eine SPDX-Lizenzkennung"),
     ("Foo Bar", "eigene Bedingungen heißen LicenseRef-Foo-Bar"),
     ("Apache 2.0", "„Apache 2.0“ ist keine SPDX-Lizenzkennung; meinten Sie Apache-2.0?"),
     ("foo/bar", "„foo/bar“ ist kein Lizenzausdruck"),
     ("MIT OR", "„MIT OR“ ist kein Lizenzausdruck"),
     ("LicenseRef-", "eigene Bedingungen heißen LicenseRef-NAME"),
     ("LicenseRef-Foo Bar", "„LicenseRef-Foo Bar“ ist kein SPDX-Name für eigene Bedingungen")],
)  # fmt: skip
def test_a_release_licence_that_is_no_licence_id_is_refused_before_training(
    base: Path, tmp_path: Path, licence: str, said_of_it: str
) -> None:
    result = _finetune(base, tmp_path, "--data-license", "CC0-1.0", "--license", licence)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert said_of_it in said, said
    assert "Traceback" not in said and not (tmp_path / "ft").exists()


def test_a_broken_jsonl_line_is_said_with_its_line_and_column(tmp_path: Path) -> None:
    data = tmp_path / "broken.jsonl"
    good = json.dumps({"text": "Wer beschließt den Haushalt?"})
    data.write_text(f'{good}\n\n{good}\n{{"messages": [{{"role": "user"}}\n{good}\n', "utf-8")
    with pytest.raises(InputError) as refused:
        list(iter_examples(data))
    said = text(refused.value.message, "de")
    assert said == "broken.jsonl, Zeile 4, Spalte 31: kein gültiges JSON: ein Komma fehlt", said
    assert text(refused.value.message, "en") == (
        "broken.jsonl, line 4, column 31: not valid JSON: a comma is missing"
    )


def test_a_build_refuses_cc_by_fine_tuning_data_without_attribution_before_curating(
    tmp_path: Path,
) -> None:
    """`gemeingut build` checks the fine-tuning data's attribution with the release's licence,
    before curating and pretraining (minutes, on a real corpus), not at its fine-tuning stage."""
    from tests.conftest import write_tiny_project

    recipe = write_tiny_project(tmp_path / "project")
    toml = recipe.read_text(encoding="utf-8").replace('data_attribution = "Chat team"\n', "")
    recipe.write_text(toml, encoding="utf-8")
    result = invoke("build", recipe, "--workspace", tmp_path / "ws")
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "CC-BY-4.0, verlangt eine Namensnennung, aber „--data-attribution“ fehlt" in said
    assert "Traceback" not in said and not any((tmp_path / "ws").glob("*/*"))
