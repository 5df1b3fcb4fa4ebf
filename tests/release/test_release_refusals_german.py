"""`gemeingut release` refuses bad input in German by default (no `--lang`, no
GEMEINGUT_LANG, the C locale of a bare server) and in English on request, exit 2, no traceback,
nothing written: a malformed `--license` expression (which was released as it was), `--base`
beside our own pretraining's artifacts (which was ignored), a `--recipe` that is no file (which
was said as a bare "does not exist" mid-build), terms of their own without their text, and a
missing option."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import invoke


def _own(tiny_build: dict) -> list[str]:
    """The tiny build's artifacts as `release` takes them (its evaluation is of its fine-tune)."""
    options = {"dataset": "--dataset", "tokenizer": "--tokenizer", "model": "--model"}
    options |= {"evaluation": "--evaluation", "finetune": "--finetuned"}
    return [a for kind, option in options.items() for a in (option, tiny_build[kind]["path"])]


def _by_default(*arguments: object) -> subprocess.CompletedProcess[str]:
    """`gemeingut` as a user on a bare server runs it: no language asked for."""
    env = {k: v for k, v in os.environ.items() if k not in ("GEMEINGUT_LANG", "LANGUAGE")}
    env |= {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TERMINAL_WIDTH": "400"}
    return subprocess.run(
        [sys.executable, "-m", "gemeingut.cli", *map(str, arguments)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _said(output: str) -> str:
    return " ".join(output.split())


CASES = {
    "malformed licence": (
        ["--license", "MIT OR ("],
        "--license „MIT OR (“ ist kein SPDX-Lizenzausdruck",
        "--license 'MIT OR (' is not an SPDX licence expression",
    ),
    "foreign base beside our own": (
        ["--base", "."],
        "--base nennt das fremde Basismodell einer Feinabstimmung",
        "--base names the foreign base of a fine-tune",
    ),
    "recipe that is no file": (
        ["--recipe", "kein-rezept.toml"],
        "--recipe kein-rezept.toml ist keine Datei",
        "--recipe kein-rezept.toml is not a file",
    ),
    "terms without their text": (
        ["--license", "LicenseRef-Amtslizenz"],
        "--license: Amtslizenz ist keine Standardlizenz, sondern eigene Bedingungen",
        "--license: Amtslizenz is no standard licence but terms of their own",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refusal_is_german_by_default_and_english_on_request(
    tiny_build: dict, tmp_path: Path, case: str
) -> None:
    options, german, english = CASES[case]
    out = tmp_path / "out"
    arguments = ["release", "--name", "winzig", "--out", out, *_own(tiny_build), *options]
    refused = _by_default(*arguments)
    said = _said(refused.stdout + refused.stderr)
    assert refused.returncode == 2, said
    assert f"Fehler: {german}" in said and "Hinweis: " in said, said
    assert english not in said and "error:" not in said and "hint:" not in said
    assert "Traceback" not in said and not out.exists()
    asked = invoke("--lang", "en", *arguments)
    said = _said(asked.output)
    assert asked.exit_code == 2 and english in said and german not in said, said
    assert not out.exists()


def test_a_missing_option_is_said_in_german_by_default(tmp_path: Path) -> None:
    refused = _by_default("release", "--out", tmp_path / "out")
    said = _said(refused.stdout + refused.stderr)
    assert refused.returncode == 2, said
    assert "Die Option '--name' fehlt." in said and "Missing option" not in said, said
