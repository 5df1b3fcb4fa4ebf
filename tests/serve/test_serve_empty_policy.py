"""`serve --policy ""` (a script's unset variable) is refused in words, as an empty path is:
it became the current folder, and the server said it could not read the policy file „.“."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import invoke


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "der Wert ist leer; nennen Sie eine Richtliniendatei (YAML) oder `default`"),
        ("en", "the value is empty; name a policy file (YAML) or `default`"),
    ],
)
def test_an_empty_policy_is_refused_in_words(model_dir: Path, language: str, said: str) -> None:
    result = invoke("--lang", language, "serve", model_dir, "--policy", "")
    assert result.exit_code == 2, result.output
    shown = " ".join(result.output.replace("│", " ").split())
    assert said in shown, shown
    assert "Traceback" not in shown
