"""`verify` said one sentence in two languages: the signature's parts were put into words in the
console's language inside an English message, so `verify --json` read "the signature … was made
for other files: geändert: MANIFEST; fehlt: model/LICENSE"; a German reader was quoted the
English detail openness.json stores ("sagt bestanden (model/LICENSE holds the text of …)");
the headline ended in a colon with nothing after it on its line; the German card told its
reader `--key PUBLIC_KEY` where every German message says ÖFFENTLICHER_SCHLÜSSEL. The JSON is
English throughout (it is for programs), the console German throughout."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.release.manifest import MANIFEST

runner = CliRunner()
GERMAN = re.compile(r"[äöüß„“]|geändert|fehlt|\bPrüfung\b|\bnicht\b")


def _signed_then_licence_removed(bundle: Path, tmp_path: Path) -> None:
    """Signed, then model/LICENSE deleted and its MANIFEST line dropped, as a forger would."""
    keys = tmp_path / "keys"
    assert runner.invoke(app, ["keys", "create", "amt", "--dir", str(keys)]).exit_code == 0
    signed = runner.invoke(app, ["sign", str(bundle), "--key", str(keys / "amt.key")])
    assert signed.exit_code == 0, signed.output
    (bundle / "model" / "LICENSE").unlink()
    lines = (bundle / MANIFEST).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.rstrip("\n").endswith("  model/LICENSE")]
    assert len(kept) == len(lines) - 1
    (bundle / MANIFEST).write_text("".join(kept), encoding="utf-8")


def test_verify_json_is_english_throughout(bundle: Path, tmp_path: Path) -> None:
    _signed_then_licence_removed(bundle, tmp_path)
    result = runner.invoke(app, ["verify", str(bundle), "--json"])  # German is the default
    assert result.exit_code == 1, result.output
    record = json.loads(result.stdout)
    verdict = record["signature"]["verdict"]
    assert verdict == f"the signature of {bundle} was made for other files: " + (
        "changed: MANIFEST; missing: model/LICENSE"
    )
    details = [problem["detail"] for problem in record["problems"]]
    assert details[0] == verdict
    for detail in details:  # the lines of a German document it quotes ("…") aside
        assert not GERMAN.search(re.sub(r'"[^"]*"', "", detail)), detail


def test_the_console_says_it_in_german_throughout(bundle: Path, tmp_path: Path) -> None:
    _signed_then_licence_removed(bundle, tmp_path)
    result = runner.invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    said = " ".join(result.output.split())
    assert (
        f"die Signatur von {bundle} wurde für andere Dateien erstellt: geändert: MANIFEST; "
        "fehlt: model/LICENSE"
    ) in said, said
    # the shipped English detail, quoted in German: the check said it passed
    assert (
        "die Prüfung Lizenztext der Gewichte (licence.text) sagt bestanden (model/LICENSE enthält "
        "den Text von Apache-2.0), die Dateien ergeben nicht bestanden (keine Datei model/LICENSE: "
    ) in said, said
    for english in ("changed:", "missing:", " holds the text of ", "the files give"):
        assert english not in said, english
    # the headline is a whole line: no colon left hanging before the list below it
    assert lines[0] == f"Fehler: das Paket {bundle} besteht die Prüfung nicht", lines[0]
    assert lines[1].startswith("  – die Signatur von "), lines[1]
    assert not any(line != line.rstrip() for line in lines), lines

    english = runner.invoke(app, ["--lang", "en", "verify", str(bundle)])
    said = " ".join(english.output.split())
    assert "was made for other files: changed: MANIFEST; missing: model/LICENSE" in said, said
    assert english.output.splitlines()[0] == f"error: bundle {bundle} fails verification"
    assert not GERMAN.search(re.sub(r'"[^"]*"', "", said)), said  # the German card's lines aside


def test_the_german_card_names_the_key_as_the_german_messages_do(bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "`gemeingut verify . --key ÖFFENTLICHER_SCHLÜSSEL` prüft auch die Signatur" in card
    assert "PUBLIC_KEY" not in card
    report = (bundle / "TECHNICAL_REPORT.md").read_text(encoding="utf-8")
    assert "`--key ÖFFENTLICHER_SCHLÜSSEL` auch die Signatur" in report
    assert "PUBLIC_KEY" not in report
    result = runner.invoke(app, ["verify", str(bundle), "--key", str(bundle / "no.pub")])
    assert result.exit_code == 2  # the messages the card agrees with
    unsigned = runner.invoke(app, ["verify", str(bundle)])
    assert "--key ÖFFENTLICHER_SCHLÜSSEL`" in unsigned.output
