"""`verify --help` says what `--rerun` costs: the validation loss is scored on every window the
training measured it on (`rerun_validation._loss`), whatever N is: seconds for the demo, up to
hours for a 1B model."""

from __future__ import annotations

from tests.test_cli_help import help_output


def test_the_rerun_help_says_the_validation_windows_and_their_time() -> None:
    german = " ".join(help_output("verify").replace("│", " ").split())
    assert "auf jedem Fenster bewertet, auf dem das Training ihn gemessen hat" in german, german
    assert "Sekunden für die Demo, bis zu Stunden für ein 1B-Modell" in german
    english = " ".join(help_output("--lang", "en", "verify").replace("│", " ").split())
    assert "scored on every window the training measured it on" in english, english
    assert "seconds for the demo, up to hours for a 1B model" in english
