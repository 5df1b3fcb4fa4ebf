"""Where stderr is no terminal (a log file, CI), progress is a plain German line now and
then instead of a bar: a long stage is not silent for minutes, and no bar is redrawn."""

from __future__ import annotations

import pytest

from gemeingut import progress


def test_a_log_gets_a_line_of_progress_and_no_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with progress.progress_bar("Vortraining", total=200, unit="Schritte") as advance:
        advance(50, info="Verlust 3,2")
        advance(150)
    said = capsys.readouterr().err.splitlines()
    assert said[0].startswith("Vortraining: 50/200 Schritte (25 %), bisher ")
    assert said[0].endswith(" · Verlust 3,2")
    assert said[1].startswith("Vortraining: 200/200 Schritte (100 %)")
    assert "━" not in "".join(said)  # rich's bar


def test_lines_come_at_most_every_half_minute(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.progress_bar("Kuratieren", total=None, unit="Aufgaben") as advance:
        for _ in range(1000):
            advance()
    assert capsys.readouterr().err == ""  # done within the half minute: nothing to say
