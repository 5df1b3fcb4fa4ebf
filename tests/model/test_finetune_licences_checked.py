"""`model finetune` checks every licence it is given before a model loads, and says what a
base under terms of their own lacks: `--data-license` and `--base-license` misspelt (`CC0`)
were recorded as written and refused only at release, after the training; a base whose folder
holds no text of its own terms trained silently into a fine-tune no release could ship, and a
release licence the base forbids was told without the option that releases it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.i18n import text
from gemeingut.model.base_model import BaseModelFacts, release_refusal
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

TERMS = "---\nlicense: other\nlicense_name: amt-modell\nmodel_name: Amtsbasis\n---\n# Amtsbasis\n"


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "fragen.jsonl"
    records = ({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(10))
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return data


def _finetune(base: Path, tmp_path: Path, *options: str):
    return invoke("model", "finetune", base, "--data", _data(tmp_path), "--out", tmp_path / "ft",
                  "--steps", "1", *options)  # fmt: skip


@pytest.mark.parametrize(
    ("option", "given", "said_of_it"),
    [("--data-license", "CC0", "--data-license: „CC0“ ist keine SPDX-Lizenzkennung; meinten Sie "
      "CC0-1.0?"),
     ("--base-license", "Apache 2.0", "--base-license: „Apache 2.0“ ist keine SPDX-Lizenzkennung; "
      "meinten Sie Apache-2.0?"),
     ("--data-license", "MIT OR", "--data-license: „MIT OR“ ist kein Lizenzausdruck"),
     ("--license", "CC0", "--license: „CC0“ ist keine SPDX-Lizenzkennung; meinten Sie CC0-1.0?")],
)  # fmt: skip
def test_a_misspelt_licence_is_refused_naming_its_option_before_a_model_loads(
    tmp_path: Path, option: str, given: str, said_of_it: str
) -> None:
    # no base at all: a check made after the base's inspection would say that instead
    result = _finetune(tmp_path / "keine-basis", tmp_path, option, given)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert said.startswith(f"Fehler: {said_of_it}"), said
    assert "Traceback" not in result.output and not (tmp_path / "ft").exists()


def test_a_base_s_own_terms_without_their_text_are_refused_before_training(
    tmp_path: Path,
) -> None:
    base = tmp_path / "basis"  # card and config suffice: nothing of the model is read
    base.mkdir()
    (base / "config.json").write_text("{}", encoding="utf-8")
    (base / "README.md").write_text(TERMS, encoding="utf-8")
    result = _finetune(base, tmp_path, "--license", "LicenseRef-amt-modell")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert "LicenseRef-amt-modell, sind eigene Bedingungen" in said
    assert f"der Ordner des Basismodells, {base}, enthält keinen" in said
    assert f"in {base / 'LICENSE'} ab" in said and "ohne --license" in said
    assert "Traceback" not in result.output and not (tmp_path / "ft").exists()


@pytest.fixture(scope="module")
def own_terms_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_model(tmp_path_factory.mktemp("base") / "base")
    (folder / "README.md").write_text(TERMS, encoding="utf-8")
    return folder


def test_a_fine_tune_of_a_base_without_its_terms_text_says_what_its_release_lacks(
    own_terms_base: Path, tmp_path: Path
) -> None:
    result = _finetune(own_terms_base, tmp_path, "--json")
    said = " ".join(result.stderr.split())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)  # the note goes to stderr, beside the JSON
    assert f"der Ordner des Basismodells, {own_terms_base}, enthält keinen" in said
    release_needs = "eine Veröffentlichung dieser Feinabstimmung braucht ihn: legen Sie ihn in"
    assert f"{release_needs} {(tmp_path / 'ft' / 'LICENSE').resolve()} ab" in said, said


def test_a_base_s_terms_text_is_copied_and_nothing_is_said(
    own_terms_base: Path, tmp_path: Path
) -> None:
    base = tmp_path / "mit-text"
    base.mkdir()
    for file in own_terms_base.iterdir():
        (base / file.name).write_bytes(file.read_bytes())
    (base / "LICENSE").write_text("Amtsmodell-Lizenz, ganzer Text.\n", encoding="utf-8")
    result = _finetune(base, tmp_path, "--license", "LicenseRef-amt-modell")
    assert result.exit_code == 0, result.output
    assert "enthält keinen" not in result.stderr
    assert (tmp_path / "ft" / "LICENSE").read_text(encoding="utf-8").startswith("Amtsmodell")


@pytest.mark.parametrize(
    ("base", "release", "hint"),
    [("LicenseRef-amt-modell", "MIT", "--license LicenseRef-amt-modell (release.license"),
     ("CC-BY-SA-4.0", "Apache-2.0", "--license CC-BY-SA-4.0 (release.license"),
     ("CC-BY-ND-4.0", "CC-BY-ND-4.0", "whose licence allows derivatives")],
)  # fmt: skip
def test_a_refused_release_licence_is_told_with_the_option_that_releases_it(
    base: str, release: str, hint: str
) -> None:
    facts = BaseModelFacts("b", "/b", "sha256:0", "LlamaForCausalLM", "llama", base, "card",
                           None, [])  # fmt: skip
    refusal = release_refusal(facts, release)
    assert refusal is not None and hint in text(refusal[1], "en")


@pytest.mark.parametrize("data_licence", ["CC-BY-NC-4.0", "CC-BY-ND-4.0"])
def test_data_no_open_model_may_be_made_from_is_refused_for_an_open_release(
    tmp_path: Path, data_licence: str
) -> None:
    result = _finetune(tmp_path / "keine-basis", tmp_path, "--data-license", data_licence,
                       "--license", "Apache-2.0")  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert said.startswith(f"Fehler: --data-license {data_licence}: "), said
    assert "nicht unter einer offenen Lizenz wie Apache-2.0 veröffentlicht" in said
    assert "lassen Sie --license weg" in said and not (tmp_path / "ft").exists()


def test_a_base_path_that_does_not_exist_is_said_so(tmp_path: Path) -> None:
    result = _finetune(tmp_path / "keine-basis", tmp_path)
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert f"das Basismodell {tmp_path / 'keine-basis'} existiert nicht" in said, said
    assert "huggingface-cli download NAME --local-dir DIR" in said


@pytest.mark.parametrize("option", ["--data", "--validation"])
def test_data_that_is_not_there_is_said_with_its_option_before_the_base_is_read(
    tmp_path: Path, option: str
) -> None:
    given = {"--data": _data(tmp_path), "--validation": None, option: tmp_path / "weg.jsonl"}
    paths = [value for key, path in given.items() if path is not None for value in (key, path)]
    result = invoke("model", "finetune", tmp_path / "keine-basis", "--out", tmp_path / "ft",
                    *paths)  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert said.startswith(f"Fehler: {option} {tmp_path / 'weg.jsonl'} existiert nicht"), said
    assert not (tmp_path / "ft").exists()
